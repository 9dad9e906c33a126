package io.trainwatch.trainer.training;

import com.fasterxml.jackson.annotation.JsonValue;
import io.trainwatch.contracts.RunStatus;

/** Where a job is: waiting for a training thread, training, or ended as its {@code run.finished} says. */
public enum JobStatus {
    QUEUED("queued"),
    RUNNING("running"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled"),
    STOPPED_EARLY("stopped_early");

    private final String wire;

    JobStatus(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    public boolean finished() {
        return this != QUEUED && this != RUNNING;
    }

    static JobStatus of(RunStatus s) {
        return switch (s) {
            case COMPLETED -> COMPLETED;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
            case STOPPED_EARLY -> STOPPED_EARLY;
        };
    }

    @Override
    public String toString() {
        return wire;
    }
}
