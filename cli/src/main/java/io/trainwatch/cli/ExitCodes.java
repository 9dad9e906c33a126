package io.trainwatch.cli;

import java.util.Locale;

/**
 * The process exit codes, and how a run's final status maps to one. Scripts and agents branch on these, so they
 * are part of the CLI's contract (docs/agents.md lists them).
 */
public final class ExitCodes {

    /** The command did what was asked; for watch: the run completed. */
    public static final int OK = 0;
    /** watch: the run failed (or diverged). */
    public static final int RUN_FAILED = 1;
    /** watch: the run was cancelled or stopped early. */
    public static final int RUN_STOPPED = 2;
    /** The server could not be reached, the run is unknown, the server refused the request, or bad usage. */
    public static final int ERROR = 3;

    private ExitCodes() {
    }

    /** True for the statuses after which a run never changes again. */
    public static boolean isFinal(String status) {
        if (status == null) {
            return false;
        }
        return switch (status.toLowerCase(Locale.ROOT)) {
            case "completed", "failed", "diverged", "cancelled", "stopped_early" -> true;
            default -> false;
        };
    }

    /** The exit code for a finished run's status; {@link #ERROR} for one that is not final. */
    public static int forFinalStatus(String status) {
        if (status == null) {
            return ERROR;
        }
        return switch (status.toLowerCase(Locale.ROOT)) {
            case "completed" -> OK;
            case "failed", "diverged" -> RUN_FAILED;
            case "cancelled", "stopped_early" -> RUN_STOPPED;
            default -> ERROR;
        };
    }
}
