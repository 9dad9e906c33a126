package io.trainwatch.metrics.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;

/** A stored run, as read back. */
public record RunRow(
        int runKey,
        String id,
        String status,
        String name,
        String project,
        List<String> tags,
        JsonNode started,
        Instant startedAt,
        Integer totalEpochs,
        Integer latestEpoch,
        int epochCount,
        int stepCount,
        List<String> metricNames,
        String cancelReason,
        String cancelRequestedBy,
        Instant cancelRequestedAt,
        String finishReason,
        String finishRequestedBy,
        Integer epochsCompleted,
        Instant finishedAt,
        long statusPosition,
        long epochsPosition,
        long stepsPosition,
        Instant createdAt,
        Instant updatedAt) {

    /** Every status a run can have, for filters and their error messages (REST and MCP). */
    public static final List<String> STATUSES = List.of("queued", "running", "stalled", "cancelling", "cancel_unconfirmed",
            "completed", "failed", "cancelled", "stopped_early");
    public static final List<String> TERMINAL = List.of("completed", "failed", "cancelled", "stopped_early");

    public boolean finished() {
        return TERMINAL.contains(status);
    }
}
