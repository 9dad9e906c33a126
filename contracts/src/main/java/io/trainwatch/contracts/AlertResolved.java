package io.trainwatch.contracts;

/** {@code alert.resolved}: the condition of an open alert no longer holds. Required: {@code run_id}, {@code alert_id}. */
public record AlertResolved(
        int schemaVersion,
        String runId,
        String alertId,
        String kind,
        Severity severity,
        Integer openedEpoch,
        Integer resolvedEpoch,
        String message) implements TrainwatchEvent {

    public AlertResolved {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("alert_id", alertId);
        Limits.text("alert_id", alertId, Limits.MAX_NAME_LENGTH);
        Limits.text("kind", kind, Limits.MAX_NAME_LENGTH);
        Limits.epoch("opened_epoch", openedEpoch);
        Limits.epoch("resolved_epoch", resolvedEpoch);
        Limits.text("message", message, Limits.MAX_TEXT_LENGTH);
    }

    @Override
    public EventType type() {
        return EventType.ALERT_RESOLVED;
    }
}
