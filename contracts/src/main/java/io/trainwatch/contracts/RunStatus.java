package io.trainwatch.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a run ended, as carried by {@code run.finished}. */
public enum RunStatus {
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled"),
    STOPPED_EARLY("stopped_early");

    private final String wire;

    RunStatus(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @JsonCreator
    public static RunStatus fromWire(String value) {
        for (RunStatus s : values()) {
            if (s.wire.equals(value)) {
                return s;
            }
        }
        throw new EventValidationException("status", "must be one of "
                + Arrays.stream(values()).map(RunStatus::wire).collect(Collectors.joining(", ")) + ", was \"" + value + "\"");
    }

    @Override
    public String toString() {
        return wire;
    }
}
