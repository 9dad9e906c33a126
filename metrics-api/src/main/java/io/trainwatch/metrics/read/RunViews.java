package io.trainwatch.metrics.read;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.metrics.store.RunRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/** The JSON documents that describe a run: the summary (lists, SSE status events) and the detail (GET /runs/{id}). */
@ApplicationScoped
public class RunViews {

    @Inject
    ObjectMapper mapper;

    /** What every view of a run shows: identity, status, progress. */
    public ObjectNode summary(RunRow run) {
        ObjectNode n = mapper.createObjectNode();
        n.put("run_id", run.id());
        n.put("status", run.status());
        putText(n, "name", run.name());
        putText(n, "project", run.project());
        if (run.tags() != null) {
            ArrayNode tags = n.putArray("tags");
            run.tags().forEach(tags::add);
        }
        if (run.totalEpochs() != null) {
            n.put("total_epochs", run.totalEpochs());
        }
        if (run.latestEpoch() != null) {
            n.put("latest_epoch", run.latestEpoch());
        }
        n.put("epochs_recorded", run.epochCount());
        Double progress = progressPercent(run);
        if (progress != null) {
            n.put("progress_percent", progress);
        }
        putTime(n, "started_at", run.startedAt());
        putTime(n, "finished_at", run.finishedAt());
        putText(n, "finish_reason", run.finishReason());
        if (run.epochsCompleted() != null) {
            n.put("epochs_completed", run.epochsCompleted());
        }
        if (run.cancelReason() != null) {
            ObjectNode cancel = n.putObject("cancel");
            cancel.put("reason", run.cancelReason());
            putText(cancel, "requested_by", run.cancelRequestedBy());
            putTime(cancel, "requested_at", run.cancelRequestedAt());
        }
        putTime(n, "created_at", run.createdAt());
        putTime(n, "updated_at", run.updatedAt());
        return n;
    }

    /** The summary plus the run.started details, the latest epoch, the ETA and (when present) the headline analysis. */
    public ObjectNode detail(RunRow run, EpochRow latest, Double recentEpochMs, JsonNode headline) {
        ObjectNode n = summary(run);
        if (run.started() != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = run.started().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                n.set(e.getKey(), e.getValue());
            }
        }
        Double eta = etaSeconds(run, recentEpochMs);
        if (eta != null) {
            n.put("eta_seconds", eta);
        }
        n.put("steps_recorded", run.stepCount());
        if (latest != null) {
            n.set("latest", mapper.valueToTree(latest));
        }
        if (headline != null) {
            n.set("analysis", headline);
        }
        return n;
    }

    static Double progressPercent(RunRow run) {
        if ("completed".equals(run.status())) {
            return 100.0;
        }
        if (run.totalEpochs() == null || run.latestEpoch() == null) {
            return null;
        }
        double p = 100.0 * (run.latestEpoch() + 1) / run.totalEpochs();
        return Math.min(100.0, Math.round(p * 10.0) / 10.0);
    }

    static Double etaSeconds(RunRow run, Double recentEpochMs) {
        if (run.finished() || run.totalEpochs() == null || run.latestEpoch() == null || recentEpochMs == null) {
            return null;
        }
        int remaining = Math.max(0, run.totalEpochs() - (run.latestEpoch() + 1));
        return Math.round(remaining * recentEpochMs / 100.0) / 10.0;
    }

    private static void putText(ObjectNode n, String name, String value) {
        if (value != null) {
            n.put(name, value);
        }
    }

    private static void putTime(ObjectNode n, String name, Instant value) {
        if (value != null) {
            n.put(name, value.toString());
        }
    }
}
