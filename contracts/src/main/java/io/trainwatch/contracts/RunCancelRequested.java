package io.trainwatch.contracts;

import java.time.Instant;

/**
 * {@code run.cancel-requested}: an agent or person asks the trainer to stop a run. Required: {@code run_id}, {@code reason}.
 *
 * @param cancelId the cancel's id, echoed in the trainer's {@code run.finished} (added in schema version 1, optional)
 */
public record RunCancelRequested(
        int schemaVersion,
        String runId,
        String reason,
        String requestedBy,
        Instant requestedAt,
        String cancelId) implements TrainwatchEvent {

    public RunCancelRequested {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("reason", reason);
        Limits.text("reason", reason, Limits.MAX_TEXT_LENGTH);
        Limits.text("requested_by", requestedBy, Limits.MAX_NAME_LENGTH);
        Limits.text("cancel_id", cancelId, Limits.MAX_NAME_LENGTH);
    }

    /** Without a cancel id, as before the field was added. */
    public RunCancelRequested(int schemaVersion, String runId, String reason, String requestedBy, Instant requestedAt) {
        this(schemaVersion, runId, reason, requestedBy, requestedAt, null);
    }

    public RunCancelRequested withCancelId(String id) {
        return new RunCancelRequested(schemaVersion, runId, reason, requestedBy, requestedAt, id);
    }

    @Override
    public EventType type() {
        return EventType.RUN_CANCEL_REQUESTED;
    }
}
