package io.trainwatch.contracts;

/**
 * {@code alert.opened}: a condition began. It stays open, without repeats, until an {@code alert.resolved}
 * with the same {@code alert_id}. Required: {@code run_id}, {@code alert_id}, {@code kind}, {@code severity}.
 */
public record AlertOpened(
        int schemaVersion,
        String runId,
        String alertId,
        String kind,
        Severity severity,
        Integer openedEpoch,
        String message) implements TrainwatchEvent {

    public AlertOpened {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("alert_id", alertId);
        Limits.text("alert_id", alertId, Limits.MAX_NAME_LENGTH);
        Limits.required("kind", kind);
        Limits.text("kind", kind, Limits.MAX_NAME_LENGTH);
        Limits.required("severity", severity);
        Limits.epoch("opened_epoch", openedEpoch);
        Limits.text("message", message, Limits.MAX_TEXT_LENGTH);
    }

    @Override
    public EventType type() {
        return EventType.ALERT_OPENED;
    }
}
