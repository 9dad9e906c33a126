package io.trainwatch.contracts;

import java.time.Instant;

/**
 * {@code run.heartbeat}: the trainer is alive, between epochs longer than the run's liveness limit. Carries no
 * metrics; metrics-api only refreshes the run's liveness (a stalled run is running again). Required: {@code run_id}.
 *
 * @param emittedAt when the trainer sent it (informational)
 */
public record RunHeartbeat(int schemaVersion, String runId, Instant emittedAt) implements TrainwatchEvent {

    public RunHeartbeat {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
    }

    public static RunHeartbeat of(String runId) {
        return new RunHeartbeat(CURRENT_SCHEMA_VERSION, runId, null);
    }

    @Override
    public EventType type() {
        return EventType.RUN_HEARTBEAT;
    }
}
