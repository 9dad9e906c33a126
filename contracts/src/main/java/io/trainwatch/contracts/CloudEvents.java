package io.trainwatch.contracts;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * CloudEvents 1.0 in Kafka binary mode: attributes travel as {@code ce_*} headers, the record value is the event's
 * JSON data and the record key is the run id. {@code ce_id} is unique per event and is the consumers' idempotency key.
 */
public final class CloudEvents {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    public static final String H_SPECVERSION = "ce_specversion";
    public static final String H_ID = "ce_id";
    public static final String H_TYPE = "ce_type";
    public static final String H_SOURCE = "ce_source";
    public static final String H_TIME = "ce_time";
    public static final String H_SUBJECT = "ce_subject";
    public static final String H_DATASCHEMA = "ce_dataschema";
    public static final String H_CONTENT_TYPE = "content-type";

    private CloudEvents() {
    }

    /** A fresh event id. Producers create it once per event and keep it across retries, so redelivery is harmless. */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /**
     * The headers of one event, in a stable order; {@code ce_subject} is the run id, {@code ce_dataschema} the
     * {@code $id} of the event's JSON Schema.
     */
    public static Map<String, String> headers(TrainwatchEvent event, String id, String source, Instant time) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(H_SPECVERSION, SPEC_VERSION);
        h.put(H_ID, Limits.required("ce_id", id));
        h.put(H_TYPE, event.type().ceType());
        h.put(H_SOURCE, Limits.required("ce_source", source));
        h.put(H_TIME, (time == null ? Instant.now() : time).toString());
        h.put(H_SUBJECT, event.runId());
        h.put(H_DATASCHEMA, event.type().schemaId());
        h.put(H_CONTENT_TYPE, CONTENT_TYPE);
        return h;
    }
}
