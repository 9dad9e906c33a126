package io.trainwatch.stack;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./run's supervision: a killed PostgreSQL is found dead and started again, with its data; a live one is left alone. */
class PostgresSupervisionTest {

    @Test
    void aKilledPostgresIsRestartedWithItsDataAndALiveOneIsLeftAlone() throws Exception {
        try (LocalStack stack = LocalStack.builder().optPartitions(1).build().start()) {
            // The test stack commits asynchronously (fast, loses the last commits in a crash): not for this row.
            sql(stack, "SET synchronous_commit = on; CREATE TABLE survives (v int); INSERT INTO survives VALUES (42)");
            assertFalse(stack.restartPostgresIfDead(), "a live PostgreSQL is not restarted");

            long pid = Long.parseLong(Files.readAllLines(stack.dataDir().resolve("postgres").resolve("postmaster.pid"))
                    .get(0).trim());
            ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
            assertTrue(server.destroyForcibly(), "kill -9 of the PostgreSQL server " + pid);
            await().atMost(Duration.ofSeconds(30)).until(() -> !server.isAlive());

            assertTrue(stack.restartPostgresIfDead(), "a killed PostgreSQL is restarted");
            try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), stack.username(), stack.password());
                 Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT v FROM survives")) {
                assertTrue(r.next());
                assertEquals(42, r.getInt(1), "the data survived the restart");
            }
        }
    }

    private static void sql(LocalStack stack, String statements) throws Exception {
        try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), stack.username(), stack.password());
             Statement s = c.createStatement()) {
            s.execute(statements);
        }
    }
}
