package io.trainwatch.metrics.store;

import io.vertx.pgclient.PgException;

/** Which database failures are the database being away (worth waiting for, 503 to a caller) rather than a bug. */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * Connection trouble (SQLSTATE 08), deadlocks and serialisation failures (40), resource exhaustion (53), an
     * operator intervention or a statement timeout (57), and the client's own connection and pool errors — a refused
     * connection, and one the server cut mid-statement ({@code Connection reset} when PostgreSQL stops: before, that
     * dead-lettered the record being stored and answered 500). Wrapped failures count by their causes.
     */
    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure, seen = null; t != null && t != seen; seen = t, t = t.getCause()) {
            if (isTransientItself(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isTransientItself(Throwable failure) {
        if (failure instanceof PgException pg) {
            String state = pg.getSqlState();
            return state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57"));
        }
        return failure instanceof io.vertx.core.VertxException || failure instanceof java.net.SocketException
                || failure instanceof java.nio.channels.ClosedChannelException
                || failure instanceof java.util.concurrent.TimeoutException
                || failure instanceof io.vertx.core.impl.NoStackTraceThrowable;
    }
}
