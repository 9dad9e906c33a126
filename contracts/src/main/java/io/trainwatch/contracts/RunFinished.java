package io.trainwatch.contracts;

import java.time.Instant;

/**
 * {@code run.finished}: the last event of a run. Required: {@code run_id}, {@code status}.
 *
 * @param reason why it ended that way (the failure, or the canceller's reason)
 * @param requestedBy who asked for a cancel, when {@code status} is {@code cancelled}
 */
public record RunFinished(
        int schemaVersion,
        String runId,
        RunStatus status,
        String reason,
        Integer epochsCompleted,
        String requestedBy,
        Instant finishedAt) implements TrainwatchEvent {

    public RunFinished {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("status", status);
        Limits.text("reason", reason, Limits.MAX_TEXT_LENGTH);
        Limits.nonNegative("epochs_completed", epochsCompleted);
        Limits.text("requested_by", requestedBy, Limits.MAX_NAME_LENGTH);
    }

    @Override
    public EventType type() {
        return EventType.RUN_FINISHED;
    }
}
