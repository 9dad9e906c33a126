package io.trainwatch.trainer.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.contracts.EventCodec;

import java.io.IOException;
import java.time.Instant;

/**
 * One job on the job topic: the run id given at submit time and the body as submitted (the taking host parses it
 * again, so a preset means the same on every host). docs/contracts.md § Job topic describes the format.
 */
public record JobMessage(String runId, JsonNode spec, Instant submittedAt, String submittedBy) {

    public byte[] encode() {
        ObjectNode n = EventCodec.instance().mapper().createObjectNode();
        n.put("schema_version", 1);
        n.put("run_id", runId);
        n.set("spec", spec);
        n.put("submitted_at", submittedAt.toString());
        n.put("submitted_by", submittedBy);
        try {
            return EventCodec.instance().mapper().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("a job message could not be written", e);
        }
    }

    /** @throws IllegalArgumentException naming what is missing when the bytes are not a job message */
    public static JobMessage decode(byte[] value) {
        JsonNode n;
        try {
            n = EventCodec.instance().mapper().readTree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (n == null || !n.path("run_id").isTextual() || !n.path("spec").isObject()) {
            throw new IllegalArgumentException("run_id (text) and spec (object) are required");
        }
        Instant at = n.path("submitted_at").isTextual() ? Instant.parse(n.get("submitted_at").asText()) : null;
        return new JobMessage(n.get("run_id").asText(), n.get("spec"), at, n.path("submitted_by").asText(null));
    }
}
