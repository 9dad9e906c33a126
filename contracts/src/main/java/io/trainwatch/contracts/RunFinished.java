package io.trainwatch.contracts;

import java.time.Instant;

/**
 * {@code run.finished}: the last event of a run. Required: {@code run_id}, {@code status}.
 *
 * @param reason why it ended that way (the failure, or the canceller's reason)
 * @param requestedBy who asked for a cancel, when {@code status} is {@code cancelled}
 * @param cancelId the {@code cancel_id} of the cancel this answers, when the run ended because of one (optional)
 */
public record RunFinished(
        int schemaVersion,
        String runId,
        RunStatus status,
        String reason,
        Integer epochsCompleted,
        String requestedBy,
        Instant finishedAt,
        String cancelId) implements TrainwatchEvent {

    public RunFinished {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("status", status);
        Limits.text("reason", reason, Limits.MAX_TEXT_LENGTH);
        Limits.nonNegative("epochs_completed", epochsCompleted);
        Limits.text("requested_by", requestedBy, Limits.MAX_NAME_LENGTH);
        Limits.text("cancel_id", cancelId, Limits.MAX_NAME_LENGTH);
    }

    /** Without a cancel id, as before the field was added. */
    public RunFinished(int schemaVersion, String runId, RunStatus status, String reason, Integer epochsCompleted,
                       String requestedBy, Instant finishedAt) {
        this(schemaVersion, runId, status, reason, epochsCompleted, requestedBy, finishedAt, null);
    }

    @Override
    public EventType type() {
        return EventType.RUN_FINISHED;
    }
}
