package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code analysis.updated}: the run's verdict changed. {@code analysis} is the verdict document served at
 * {@code GET /api/v1/runs/{id}/analysis} (shape in docs/analysis.md); action and confidence are lifted out so a
 * consumer can filter without parsing it. Required: {@code run_id}, {@code epoch}, {@code analysis}.
 */
public record AnalysisUpdated(
        int schemaVersion,
        String runId,
        Integer epoch,
        String action,
        Double confidence,
        JsonNode analysis) implements TrainwatchEvent {

    public AnalysisUpdated {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("epoch", epoch);
        Limits.epoch("epoch", epoch);
        Limits.text("action", action, Limits.MAX_NAME_LENGTH);
        Limits.required("analysis", analysis);
    }

    @Override
    public EventType type() {
        return EventType.ANALYSIS_UPDATED;
    }
}
