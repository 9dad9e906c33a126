package io.trainwatch.contracts;

/** Small helpers shared by the event records. */
final class Events {

    private Events() {
    }

    /** An absent {@code schema_version} means the current one; a producer never sends zero or less on purpose. */
    static int schemaVersion(int value) {
        if (value == 0) {
            return TrainwatchEvent.CURRENT_SCHEMA_VERSION;
        }
        if (value < 0) {
            throw new EventValidationException("schema_version", "must be >= 1, was " + value);
        }
        return value;
    }
}
