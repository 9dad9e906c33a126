package io.trainwatch.metrics.persistence;

import io.vertx.pgclient.PgException;

/** Which database failures are the database being away (worth waiting for, 503 to a caller) rather than a bug. */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * Connection trouble (SQLSTATE 08), deadlocks and serialisation failures (40), resource exhaustion (53), an
     * operator intervention or a statement timeout (57), and the client's own connection and pool errors.
     */
    public static boolean isTransient(Throwable failure) {
        if (failure instanceof PgException pg) {
            String state = pg.getSqlState();
            return state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                    || state.startsWith("57"));
        }
        return failure instanceof io.vertx.core.VertxException || failure instanceof java.net.ConnectException
                || failure instanceof java.util.concurrent.TimeoutException
                || failure instanceof io.vertx.core.impl.NoStackTraceThrowable;
    }
}
