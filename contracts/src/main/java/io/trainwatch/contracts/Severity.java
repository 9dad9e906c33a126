package io.trainwatch.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How urgent an alert is. */
public enum Severity {
    CRITICAL, WARNING, INFO;

    @JsonValue
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static Severity fromWire(String value) {
        for (Severity s : values()) {
            if (s.wire().equals(value)) {
                return s;
            }
        }
        throw new EventValidationException("severity", "must be one of critical, warning, info, was \"" + value + "\"");
    }
}
