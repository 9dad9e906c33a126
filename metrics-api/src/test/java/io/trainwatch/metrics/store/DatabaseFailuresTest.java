package io.trainwatch.metrics.store;

import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseFailuresTest {

    @Test
    void aConnectionThePostgresStopCutIsTransient() {
        // What the ingest saw mid-transaction when ProcessFaultsIT stopped PostgreSQL (it dead-lettered the record).
        assertTrue(DatabaseFailures.isTransient(new SocketException("Connection reset")));
        assertTrue(DatabaseFailures.isTransient(new ConnectException("Connection refused")));
        assertTrue(DatabaseFailures.isTransient(new CompletionException(new SocketException("Broken pipe"))));
    }

    @Test
    void sqlStatesOfAnAbsentOrBusyDatabaseAreTransientOthersAreNot() {
        assertTrue(DatabaseFailures.isTransient(pg("57P01")));   // terminating connection due to administrator command
        assertTrue(DatabaseFailures.isTransient(pg("08006")));   // connection failure
        assertTrue(DatabaseFailures.isTransient(pg("40001")));   // serialisation failure
        assertFalse(DatabaseFailures.isTransient(pg("23505")));  // unique violation: a bug, not an outage
        assertFalse(DatabaseFailures.isTransient(pg("22P02")));  // invalid text representation
    }

    @Test
    void ourOwnBugsAreNotTransient() {
        assertFalse(DatabaseFailures.isTransient(new IllegalStateException("no row")));
        assertFalse(DatabaseFailures.isTransient(new CompletionException(new NullPointerException())));
    }

    private static PgException pg(String sqlState) {
        return new PgException("message", "ERROR", sqlState, null);
    }
}
