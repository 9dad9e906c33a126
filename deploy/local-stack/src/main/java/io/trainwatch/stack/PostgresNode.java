package io.trainwatch.stack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.trainwatch.stack.Ports.HOST;
import static io.trainwatch.stack.PostgresCredentials.SUPERUSER;

/**
 * The stack's PostgreSQL: an embedded server (zonky binaries, a child process, data in {@code <dataDir>/postgres},
 * scram-sha-256 passwords generated on the first start and kept in the data dir) with the apps' role and database,
 * or an external one given by its JDBC url. Not thread-safe: {@link LocalStack} serialises the calls.
 */
final class PostgresNode {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresNode.class);

    /** Null for the embedded server. */
    private final String externalJdbcUrl;
    private final String externalPassword;
    private final int requestedPort;
    private final String database;
    private final String username;

    private Path dataDir;
    private boolean throwaway;
    private PostgresCredentials credentials;
    private EmbeddedPostgres postgres;
    private int port;

    PostgresNode(String externalJdbcUrl, String externalPassword, int requestedPort, String database,
                 String username) {
        this.externalJdbcUrl = externalJdbcUrl;
        this.externalPassword = externalPassword;
        this.requestedPort = requestedPort;
        this.database = database;
        this.username = username;
    }

    boolean embedded() {
        return externalJdbcUrl == null;
    }

    /**
     * Before anything starts: loads or creates the embedded server's passwords, so that a data dir whose password
     * is lost fails here, naming the file.
     *
     * @param throwaway a temporary data dir: durability costs time and buys nothing
     */
    void prepare(Path dataDir, boolean throwaway) {
        this.dataDir = dataDir;
        this.throwaway = throwaway;
        if (externalJdbcUrl == null) {
            credentials = PostgresCredentials.loadOrCreate(dataDir, serverDataDir());
        }
    }

    /** Starts the embedded server with the role and database (or finds the external one); returns once it answers. */
    void start() {
        if (externalJdbcUrl == null) {
            port = Ports.choose("postgresPort", requestedPort);
            LOG.info("PostgreSQL: embedded on {}:{} (data dir {})", HOST, port, serverDataDir());
            if (PostgresCredentials.trustsAnyone(serverDataDir())) {
                upgradeFromTrust();
            }
            postgres = startServer(true);
            createRoleAndDatabase();
        } else {
            LOG.info("PostgreSQL: external at {} ({} is set); no server started", externalJdbcUrl,
                    LocalStack.TRAINWATCH_DB_URL);
        }
        awaitReady();
    }

    String jdbcUrl() {
        if (externalJdbcUrl != null) {
            return externalJdbcUrl;
        }
        return "jdbc:postgresql://" + HOST + ":" + Ports.requireStarted(port, "jdbcUrl") + "/" + database;
    }

    String username() {
        return username;
    }

    String database() {
        return database;
    }

    String password() {
        if (externalJdbcUrl != null) {
            return externalPassword;
        }
        if (credentials == null) {
            throw new IllegalStateException("password: the stack is not started; call start()");
        }
        return SUPERUSER.equals(username) ? credentials.superuserPassword() : credentials.password();
    }

    Optional<Path> passwordFile() {
        if (externalJdbcUrl != null) {
            return Optional.empty();
        }
        if (credentials == null) {
            throw new IllegalStateException("passwordFile: the stack is not started; call start()");
        }
        return Optional.of(SUPERUSER.equals(username) ? credentials.superuserPasswordFile()
                : credentials.passwordFile());
    }

    /** Stops only the embedded server (fast shutdown), keeping its port and data; does nothing if it is stopped. */
    void stop() {
        requireEmbedded("stopPostgres");
        if (postgres == null) {
            return;
        }
        long begin = System.nanoTime();
        EmbeddedPostgres stopping = postgres;
        postgres = null;
        try {
            stopping.close();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL stop failed: " + e.getMessage(), e);
        }
        LOG.info("PostgreSQL stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /** Starts the embedded server again on the same port and data, after {@link #stop()}. */
    void restart() {
        requireEmbedded("startPostgres");
        if (postgres != null) {
            return;
        }
        long begin = System.nanoTime();
        postgres = startServer(true);
        awaitReady();
        LOG.info("PostgreSQL restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /**
     * When the embedded server's process is gone (crashed, killed), starts it again on the same port and data.
     * Checks the process named in {@code postmaster.pid}, not a query, so that a busy server is never restarted.
     *
     * @return true if it found PostgreSQL dead and restarted it
     */
    boolean restartIfDead() {
        if (externalJdbcUrl != null || postgres == null || alive()) {
            return false;
        }
        LOG.error("PostgreSQL on {}:{} died (no server process for {}); restarting it", HOST, port,
                serverDataDir().resolve("postmaster.pid"));
        long begin = System.nanoTime();
        EmbeddedPostgres dead = postgres;
        postgres = null;
        try {
            dead.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("stopping the dead PostgreSQL: {}", e.toString());
        }
        postgres = startServer(true);
        awaitReady();
        LOG.warn("PostgreSQL restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
        return true;
    }

    /** Stops the server if it runs; returns the failure instead of throwing it. */
    RuntimeException stopQuietly() {
        if (postgres == null) {
            return null;
        }
        try {
            EmbeddedPostgres stopping = postgres;
            postgres = null;
            stopping.close();
            return null;
        } catch (IOException | RuntimeException e) {
            return new IllegalStateException("PostgreSQL stop failed: " + e, e);
        }
    }

    @Override
    public String toString() {
        return externalJdbcUrl != null ? externalJdbcUrl : HOST + ":" + port;
    }

    /** True while the server process that postmaster.pid names is alive. */
    private boolean alive() {
        try {
            Path pidFile = serverDataDir().resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return false;
            }
            String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
            return !first.isEmpty() && ProcessHandle.of(Long.parseLong(first)).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            // Being rewritten or unreadable: not proof of death.
            return true;
        }
    }

    private void requireEmbedded(String operation) {
        if (externalJdbcUrl != null) {
            throw new IllegalStateException(operation + ": PostgreSQL is external (" + externalJdbcUrl
                    + "); only an embedded one can be stopped and started");
        }
    }

    private Path serverDataDir() {
        return dataDir.resolve("postgres");
    }

    /**
     * @param requirePasswords false only to upgrade a data dir from the trust days: it then starts with the
     *                         pg_hba.conf it has
     */
    private EmbeddedPostgres startServer(boolean requirePasswords) {
        try {
            EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(serverDataDir())
                    // Keep the data between runs of ./run; zonky only runs initdb when postgresql.conf is absent.
                    .setCleanDataDirectory(false)
                    // Our own close (and LocalStackMain's hook) stops it, in order.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", HOST)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("password_encryption", PostgresCredentials.AUTH_METHOD)
                    // zonky passes each "locale" setting to initdb as --key=value, its only way to give initdb an
                    // option: the superuser gets its password when the cluster is made, with no window without one.
                    .setLocaleConfig("pwfile", credentials.superuserPasswordFile().toString())
                    // zonky's readiness check logs in as postgres.
                    .setConnectConfig("password", credentials.superuserPassword());
            if (requirePasswords) {
                // After initdb (whose pg_hba.conf trusts everyone), before the server starts: no trust, ever.
                pg.setDataDirectoryCustomizer(dir -> PostgresCredentials.requirePasswords(dir.toPath()));
            }
            if (throwaway) {
                // Throwaway test data: durability costs time and buys nothing.
                pg.setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off");
            }
            return pg.start();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL on " + HOST + ":" + port + " did not start: "
                    + e.getMessage(), e);
        }
    }

    /**
     * A data dir made before the stack required passwords: zonky's initdb left pg_hba.conf on trust and postgres
     * without a password. Starts it as it is, gives postgres its password, stops it; the next start writes the
     * pg_hba.conf that asks for passwords, and {@link #createRoleAndDatabase()} sets the apps' role's.
     */
    private void upgradeFromTrust() {
        LOG.warn("PostgreSQL data in {} predates password authentication (trust in pg_hba.conf): upgrading it to {}"
                + " with the passwords in {} and {}", serverDataDir(), PostgresCredentials.AUTH_METHOD,
                credentials.passwordFile(), credentials.superuserPasswordFile());
        EmbeddedPostgres legacy = startServer(false);
        try (Connection connection = DriverManager.getConnection(adminUrl(), SUPERUSER,
                credentials.superuserPassword());
             Statement statement = connection.createStatement()) {
            setPassword(statement, SUPERUSER, credentials.superuserPassword());
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL on " + HOST + ":" + port + ": setting the password of "
                    + SUPERUSER + " failed: " + e.getMessage(), e);
        } finally {
            try {
                legacy.close();
            } catch (IOException e) {
                LOG.warn("Stopping PostgreSQL after the upgrade failed: {}", e.toString());
            }
        }
        LOG.info("PostgreSQL data in {} upgraded: every connection now needs a password", serverDataDir());
    }

    private String adminUrl() {
        return "jdbc:postgresql://" + HOST + ":" + port + "/postgres";
    }

    /** Also on every later start: the stored password file is the truth, and a role from the trust days gets it. */
    private static void setPassword(Statement statement, String role, String password) throws SQLException {
        statement.execute("alter role " + role + " password '" + password.replace("'", "''") + "'");
    }

    /** The role and database the apps use, with the role's password; initdb only made the superuser postgres. */
    private void createRoleAndDatabase() {
        LocalStack.requireIdentifier("database", database);
        LocalStack.requireIdentifier("username", username);
        try (Connection connection = DriverManager.getConnection(adminUrl(), SUPERUSER,
                credentials.superuserPassword());
             Statement statement = connection.createStatement()) {
            if (!SUPERUSER.equals(username)) {
                if (!exists(statement, "select 1 from pg_roles where rolname = '" + username + "'")) {
                    statement.execute("create role " + username + " login");
                }
                setPassword(statement, username, credentials.password());
            }
            if (!exists(statement, "select 1 from pg_database where datname = '" + database + "'")) {
                statement.execute("create database " + database + " owner " + username);
                LOG.info("Created database {} owned by {}", database, username);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL on " + HOST + ":" + port + ": creating role "
                    + username + " and database " + database + " failed: " + e.getMessage(), e);
        }
    }

    private static boolean exists(Statement statement, String query) throws SQLException {
        try (ResultSet rows = statement.executeQuery(query)) {
            return rows.next();
        }
    }

    private void awaitReady() {
        Retry.until(Retry.deadline(), "PostgreSQL at " + jdbcUrl() + " to answer select 1", () -> {
            try (Connection connection = DriverManager.getConnection(jdbcUrl(), username, password());
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("select 1")) {
                return rows.next() && rows.getInt(1) == 1;
            }
        });
    }
}
