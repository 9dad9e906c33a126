package io.trainwatch.analysis;

/**
 * A condition the engine raised. Its id is deterministic ({@code <kind>@<opened_epoch>}), so a replay of the same
 * epochs yields the same alerts and a consumer can deduplicate on the id.
 *
 * @param severity {@code critical}, {@code warning} or {@code info}
 * @param resolvedEpoch the epoch at which the condition ended; {@code null} while open
 */
public record Alert(String id, String kind, String severity, int openedEpoch, Integer resolvedEpoch, String message) {

    public static final String CRITICAL = "critical";
    public static final String WARNING = "warning";
    public static final String INFO = "info";

    static Alert open(String kind, String severity, int epoch, String message) {
        return new Alert(kind + "@" + epoch, kind, severity, epoch, null, message);
    }

    Alert resolvedAt(int epoch) {
        return new Alert(id, kind, severity, openedEpoch, epoch, message);
    }

    /** True while the condition lasts. Named so that Jackson does not serialise it as a property. */
    public boolean stillOpen() {
        return resolvedEpoch == null;
    }
}
