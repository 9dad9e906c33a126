package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code analysis.updated}: the run's verdict changed. {@code analysis} is the verdict document served at
 * {@code GET /api/v1/runs/{id}/analysis} (shape in docs/analysis.md); action and confidence are lifted out so a
 * consumer can filter without parsing it ({@code confidence} within [0, 1]). Required: {@code run_id}, {@code epoch},
 * {@code analysis} (a JSON object).
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
        Limits.fraction("confidence", confidence);
        // Jackson hands a JSON null to a JsonNode component as NullNode, which a plain null check lets through.
        if (analysis == null || analysis.isNull() || analysis.isMissingNode()) {
            throw new EventValidationException("analysis", "is required");
        }
        if (!analysis.isObject()) {
            throw new EventValidationException("analysis", "must be a JSON object, was " + analysis.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Override
    public EventType type() {
        return EventType.ANALYSIS_UPDATED;
    }
}
