package io.trainwatch.contracts;

import java.time.Instant;

/** {@code run.cancel-requested}: an agent or person asks the trainer to stop a run. Required: {@code run_id}, {@code reason}. */
public record RunCancelRequested(
        int schemaVersion,
        String runId,
        String reason,
        String requestedBy,
        Instant requestedAt) implements TrainwatchEvent {

    public RunCancelRequested {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("reason", reason);
        Limits.text("reason", reason, Limits.MAX_TEXT_LENGTH);
        Limits.text("requested_by", requestedBy, Limits.MAX_NAME_LENGTH);
    }

    @Override
    public EventType type() {
        return EventType.RUN_CANCEL_REQUESTED;
    }
}
