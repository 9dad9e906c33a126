package io.trainwatch.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded PostgreSQL asks every connection for a SCRAM password: the stack's generated one, kept in the data
 * dir (mode 0600) and reused on the next start; a data dir from the trust days is upgraded.
 */
class PostgresPasswordTest {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @Test
    void onlyTheStacksPasswordLetsAnyoneInAndTheDataDirKeepsIt(@TempDir Path tmp) throws Exception {
        Path dataDir = tmp.resolve("data");
        String password;
        try (LocalStack stack = LocalStack.builder().optDataDir(dataDir).optPartitions(1).build().start()) {
            password = stack.password();
            Path file = dataDir.resolve(PostgresCredentials.PASSWORD_FILE);
            assertEquals(Optional.of(file), stack.passwordFile());
            assertEquals(password + "\n", Files.readString(file));
            assertTrue(password.matches("[A-Za-z0-9_-]{32}"), "32 URL-safe random characters: " + password);
            assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(file), file + " readable by its owner only");
            Path superuserFile = dataDir.resolve(PostgresCredentials.SUPERUSER_PASSWORD_FILE);
            assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(superuserFile));
            String superuserPassword = Files.readString(superuserFile).strip();
            assertNotEquals(password, superuserPassword, "the apps never hold the superuser's password");

            // pgjdbc stops on its own when the server asks for a SCRAM password and it has none: that shows the ask.
            assertRefused(stack.jdbcUrl(), "trainwatch", null, "SCRAM-based authentication, but no password");
            assertRefused(stack.jdbcUrl(), "trainwatch", "", "SCRAM-based authentication, but the password is an");
            assertRefused(stack.jdbcUrl(), "trainwatch", "trainwatch", "password authentication failed");
            assertRefused(stack.jdbcUrl(), "postgres", null, "SCRAM-based authentication, but no password");
            assertRefused(stack.jdbcUrl(), "postgres", password, "password authentication failed for user");
            assertEquals("trainwatch", query(stack.jdbcUrl(), "trainwatch", password, "select current_user"));

            String admin = "jdbc:postgresql://127.0.0.1:" + URI.create(stack.reactiveUrl()).getPort() + "/postgres";
            assertEquals("0", query(admin, "postgres", superuserPassword, "select count(*) from pg_hba_file_rules"
                    + " where auth_method <> 'scram-sha-256' or error is not null"), "no pg_hba.conf line trusts");
            assertEquals("6", query(admin, "postgres", superuserPassword, "select count(*) from pg_hba_file_rules"));
            assertEquals("scram-sha-256", query(admin, "postgres", superuserPassword, "show password_encryption"));
            assertEquals("2", query(admin, "postgres", superuserPassword, "select count(*) from pg_authid where"
                    + " rolname in ('postgres', 'trainwatch') and rolpassword like 'SCRAM-SHA-256$%'"));

            stack.stopPostgres();
            assertRefused(stack.jdbcUrl(), "trainwatch", password, "Connection to 127.0.0.1");
            stack.startPostgres();
            assertEquals("trainwatch", query(stack.jdbcUrl(), "trainwatch", password, "select current_user"));
            assertRefused(stack.jdbcUrl(), "trainwatch", "wrong", "password authentication failed");
        }

        try (LocalStack again = LocalStack.builder().optDataDir(dataDir).optPartitions(1).build().start()) {
            assertEquals(password, again.password(), "the next start reuses the stored password");
            assertEquals("trainwatch", query(again.jdbcUrl(), "trainwatch", password, "select current_user"));
        }

        Files.delete(dataDir.resolve(PostgresCredentials.SUPERUSER_PASSWORD_FILE));
        IllegalStateException lost = assertThrows(IllegalStateException.class,
                () -> LocalStack.builder().optDataDir(dataDir).optPartitions(1).build().start());
        assertTrue(lost.getMessage().startsWith("dataDir: the PostgreSQL data in " + dataDir.resolve("postgres")
                + " requires passwords but " + dataDir.resolve(PostgresCredentials.SUPERUSER_PASSWORD_FILE)
                + " is missing"), lost.getMessage());
    }

    /** A data dir as the stack left it before passwords: zonky's trust pg_hba.conf, role trainwatch, a row. */
    @Test
    void aDataDirFromTheTrustDaysIsUpgradedKeepingItsData(@TempDir Path tmp) throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(dataDir.resolve(LocalStack.MARKER_FILE), "made by LocalStack before passwords\n");
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres"))
                .setCleanDataDirectory(false).setRegisterShutdownHook(false).start()) {
            try (Connection c = old.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("create role trainwatch login password 'trainwatch'");
                s.execute("create database trainwatch owner trainwatch");
            }
            try (Connection c = old.getDatabase("trainwatch", "trainwatch").getConnection();
                 Statement s = c.createStatement()) {
                s.execute("create table kept (v text); insert into kept values ('from the trust days')");
            }
        }
        assertTrue(PostgresCredentials.trustsAnyone(dataDir.resolve("postgres")), "the old data dir trusts");
        assertFalse(Files.exists(dataDir.resolve(PostgresCredentials.PASSWORD_FILE)));

        try (LocalStack stack = LocalStack.builder().optDataDir(dataDir).optPartitions(1).build().start()) {
            assertFalse(PostgresCredentials.trustsAnyone(dataDir.resolve("postgres")), "no trust left");
            assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(stack.passwordFile().orElseThrow()));
            assertEquals("from the trust days", query(stack.jdbcUrl(), "trainwatch", stack.password(),
                    "select v from kept"));
            assertRefused(stack.jdbcUrl(), "trainwatch", "trainwatch", "password authentication failed");
            assertRefused(stack.jdbcUrl(), "postgres", null, "SCRAM-based authentication, but no password");
            assertRefused(stack.jdbcUrl(), "postgres", "trainwatch", "password authentication failed");
        }
    }

    private static void assertRefused(String url, String user, String password, String reason) {
        SQLException refused = assertThrows(SQLException.class, () -> connect(url, user, password).close(),
                user + " with password " + password + " must be refused");
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }

    private static Connection connect(String url, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection(url, props);
    }

    private static String query(String url, String user, String password, String sql) throws SQLException {
        try (Connection c = connect(url, user, password); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery(sql)) {
            assertTrue(rows.next(), sql + " returns a row");
            return rows.getString(1);
        }
    }
}
