package io.trainwatch.stack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Kafka broker (single-node KRaft, in this JVM: {@link KafkaNode}) and a real PostgreSQL (zonky binaries, a
 * child process: {@link PostgresNode}) on 127.0.0.1, with every Trainwatch topic and the database created, sharing
 * one data dir. Either server can be replaced by an external one: set {@value #KAFKA_BOOTSTRAP_SERVERS} or
 * {@value #TRAINWATCH_DB_URL} (system property or environment variable), or use the builder's {@code optExternal…}
 * setters. The embedded PostgreSQL asks every connection for a scram-sha-256 password, generated on the data dir's
 * first start and kept there ({@link #password()}, {@link #passwordFile()}).
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().optPartitions(3).build().start()) {
 *     String bootstrap = stack.kafkaBootstrapServers();
 * }
 * }</pre>
 */
public final class LocalStack implements Stack, AutoCloseable {

    public static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String TRAINWATCH_DB_URL = "TRAINWATCH_DB_URL";
    public static final String TRAINWATCH_DB_USER = "TRAINWATCH_DB_USER";
    public static final String TRAINWATCH_DB_PASSWORD = "TRAINWATCH_DB_PASSWORD";

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
    /** Written into a data dir we own, so --fresh never wipes a directory that someone else's data lives in. */
    static final String MARKER_FILE = ".trainwatch-local-stack";
    /** Largest record the topics take: the largest event the contracts allow, plus room for headers and batching. */
    public static final int MAX_MESSAGE_BYTES = io.trainwatch.contracts.Limits.MAX_EVENT_BYTES + 1024 * 1024;
    /** What ./run puts in a data dir besides our data: its logs (kept by --fresh) and the endpoints file. */
    private static final Set<String> RUN_FILES = Set.of("logs", "stack.env", "stack.env.tmp");
    private static final Pattern SQL_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** For an external PostgreSQL when TRAINWATCH_DB_PASSWORD is not given; the embedded one generates its own. */
    private static final String DEFAULT_EXTERNAL_PASSWORD = "trainwatch";

    private final Path requestedDataDir;
    private final boolean fresh;
    private final KafkaNode kafka;
    private final PostgresNode postgres;

    private Path dataDir;
    private boolean dataDirIsTemporary;
    private boolean started;
    private boolean closed;

    private LocalStack(Builder builder) {
        this.requestedDataDir = builder.dataDir;
        this.fresh = builder.fresh;
        this.kafka = new KafkaNode(blankToNull(builder.externalKafka), builder.kafkaPort, builder.partitions);
        String externalJdbcUrl = blankToNull(builder.externalJdbcUrl);
        String externalUser = blankToNull(builder.externalUser);
        String username = externalJdbcUrl != null && externalUser != null ? externalUser : builder.username;
        String externalPassword = externalJdbcUrl == null ? null
                : builder.externalPassword != null ? builder.externalPassword : DEFAULT_EXTERNAL_PASSWORD;
        String database = externalJdbcUrl != null ? databaseOf(externalJdbcUrl) : builder.database;
        this.postgres = new PostgresNode(externalJdbcUrl, externalPassword, builder.postgresPort, database, username);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * This stack as a map of JDK types only (Suppliers and Runnables), so that a class loader other than the
     * owner's can drive it as a {@link RemoteStack}.
     */
    Map<String, Object> handle() {
        return RemoteStack.handleOf(this);
    }

    /**
     * Starts what is not external, creates the database and every topic of {@link io.trainwatch.contracts.Topics#ALL},
     * and returns once Kafka answers describeCluster with every topic partition led and PostgreSQL answers
     * {@code select 1}. If anything fails, what was started is stopped again.
     */
    public synchronized LocalStack start() {
        if (started) {
            return this;
        }
        return withOwnClassLoader(this::doStart);
    }

    private LocalStack doStart() {
        if (closed) {
            throw new IllegalStateException("start: this LocalStack was closed; build a new one");
        }
        long begin = System.nanoTime();
        try {
            prepareDataDir();
            postgres.prepare(dataDir, dataDirIsTemporary);
            kafka.start(dataDir);
            postgres.start();
            started = true;
            LOG.info("Local stack ready in {} ms: kafka {} postgres {}",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), kafkaBootstrapServers(), jdbcUrl());
            return this;
        } catch (RuntimeException | Error e) {
            stopQuietly();
            throw e;
        }
    }

    @Override
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    @Override
    public String username() {
        return postgres.username();
    }

    @Override
    public String password() {
        return postgres.password();
    }

    @Override
    public Optional<Path> passwordFile() {
        return postgres.passwordFile();
    }

    @Override
    public String database() {
        return postgres.database();
    }

    @Override
    public Path dataDir() {
        if (dataDir == null) {
            throw new IllegalStateException("dataDir: the stack is not started");
        }
        return dataDir;
    }

    @Override
    public boolean kafkaEmbedded() {
        return kafka.embedded();
    }

    @Override
    public boolean postgresEmbedded() {
        return postgres.embedded();
    }

    @Override
    public synchronized boolean kafkaRunning() {
        return kafka.running();
    }

    @Override
    public synchronized void stopKafka() {
        runWithOwnClassLoader(kafka::stop);
    }

    @Override
    public synchronized void startKafka() {
        runWithOwnClassLoader(() -> {
            if (kafka.embedded()) {
                requireStarted("startKafka");
            }
            kafka.restart();
        });
    }

    @Override
    public synchronized void stopPostgres() {
        runWithOwnClassLoader(postgres::stop);
    }

    @Override
    public synchronized void startPostgres() {
        runWithOwnClassLoader(() -> {
            if (postgres.embedded()) {
                requireStarted("startPostgres");
            }
            postgres.restart();
        });
    }

    /**
     * For a supervisor ({@link LocalStackMain}, under {@code ./run}): when the embedded PostgreSQL's server process is
     * gone (it crashed or was killed), logs it and starts it again on the same port and data. Checks the process
     * named in {@code postmaster.pid}, not a query, so that a busy server is never restarted.
     *
     * @return true if it found PostgreSQL dead and restarted it
     */
    public synchronized boolean restartPostgresIfDead() {
        if (!started || closed) {
            return false;
        }
        return withOwnClassLoader(postgres::restartIfDead);
    }

    /** Stops the broker (shutdown, then awaitShutdown) and PostgreSQL; deletes the data dir if it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = withOwnClassLoader(this::stopQuietly);
        if (failure != null) {
            throw failure;
        }
        LOG.info("Local stack stopped");
    }

    private void requireStarted(String operation) {
        if (!started) {
            throw new IllegalStateException(operation + ": the stack is not started; call start()");
        }
    }

    /**
     * Runs with this class's loader as the thread context class loader. Kafka instantiates configured classes
     * through it, and the threads the broker creates inherit it: under Quarkus tests it would otherwise be a
     * Quarkus loader holding a second copy of the Kafka classes (NoSuchMethodException, ClassCastException).
     */
    private static <T> T withOwnClassLoader(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(LocalStack.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static void runWithOwnClassLoader(Runnable action) {
        withOwnClassLoader(() -> {
            action.run();
            return null;
        });
    }

    /** Stops whatever runs, in reverse order of start; returns the first failure instead of throwing it. */
    private RuntimeException stopQuietly() {
        RuntimeException kafkaFailure = kafka.stopQuietly();
        RuntimeException postgresFailure = postgres.stopQuietly();
        if (dataDirIsTemporary && dataDir != null) {
            try {
                deleteRecursively(dataDir, true);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Could not delete the temporary data dir {}: {}", dataDir, e.toString());
            }
        }
        started = false;
        return kafkaFailure != null ? kafkaFailure : postgresFailure;
    }

    // ---- data dir, helpers ----------------------------------------------------------------------------------

    private void prepareDataDir() {
        try {
            if (requestedDataDir == null) {
                dataDir = Files.createTempDirectory("trainwatch-stack-");
                dataDirIsTemporary = true;
            } else {
                dataDir = requestedDataDir.toAbsolutePath().normalize();
                if (fresh && Files.isDirectory(dataDir)) {
                    wipe(dataDir);
                }
                Files.createDirectories(dataDir);
            }
            Path marker = dataDir.resolve(MARKER_FILE);
            if (!Files.exists(marker)) {
                try (Stream<Path> entries = Files.list(dataDir)) {
                    if (entries.anyMatch(entry -> !RUN_FILES.contains(entry.getFileName().toString()))) {
                        throw new IllegalStateException("dataDir: " + dataDir + " is not empty and was not made by "
                                + "LocalStack (no " + MARKER_FILE + "); choose an empty or new directory");
                    }
                }
                Files.writeString(marker, "Kafka log dir and PostgreSQL data of the Trainwatch local stack.\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("dataDir: cannot prepare " + requestedDataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes the Kafka and PostgreSQL data of a data dir this class made (it carries the marker file), never
     * anything else; keeps logs/, which ./run is already writing to.
     */
    private static void wipe(Path dir) throws IOException {
        if (!Files.exists(dir.resolve(MARKER_FILE))) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.anyMatch(entry -> !RUN_FILES.contains(entry.getFileName().toString()))) {
                    throw new IllegalStateException("fresh: refusing to wipe " + dir + ": it has no " + MARKER_FILE
                            + " so LocalStack did not make it");
                }
            }
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.toList()) {
                if (!entry.getFileName().toString().equals("logs")) {
                    deleteRecursively(entry, true);
                }
            }
        }
        LOG.info("Wiped the Kafka and PostgreSQL data in {}", dir);
    }

    private static void deleteRecursively(Path dir, boolean includingDir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (includingDir || !path.equals(dir)) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    static void requireIdentifier(String field, String value) {
        if (value == null || !SQL_IDENTIFIER.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": must match " + SQL_IDENTIFIER.pattern() + ", was " + value);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** {@code jdbc:postgresql://h:p/db?x=y} to {@code postgresql://h:p/db}: Vert.x rejects JDBC-only parameters. */
    static String reactiveUrlOf(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException(TRAINWATCH_DB_URL + ": must start with jdbc:postgresql://, was "
                    + jdbcUrl);
        }
        String url = jdbcUrl.substring("jdbc:".length());
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query);
    }

    static String databaseOf(String jdbcUrl) {
        String url = reactiveUrlOf(jdbcUrl);
        int slash = url.indexOf('/', "postgresql://".length());
        if (slash < 0 || slash == url.length() - 1) {
            throw new IllegalArgumentException(TRAINWATCH_DB_URL + ": must name a database "
                    + "(jdbc:postgresql://host:port/database), was " + jdbcUrl);
        }
        return url.substring(slash + 1);
    }

    /** A system property wins over the environment variable of the same name. */
    static String setting(String name) {
        String value = System.getProperty(name);
        return value != null ? value : System.getenv(name);
    }

    @Override
    public String toString() {
        return "LocalStack(kafka " + kafka + ", postgres " + postgres + ", started " + started + ")";
    }

    /** Options for {@link LocalStack}; external servers default to the environment (see {@link LocalStack}). */
    public static final class Builder {
        private int kafkaPort;
        private int postgresPort;
        private Path dataDir;
        private boolean fresh;
        private int partitions = 12;
        private String database = "trainwatch";
        private String username = "trainwatch";
        private String externalKafka = setting(KAFKA_BOOTSTRAP_SERVERS);
        private String externalJdbcUrl = setting(TRAINWATCH_DB_URL);
        private String externalUser = setting(TRAINWATCH_DB_USER);
        private String externalPassword = setting(TRAINWATCH_DB_PASSWORD);

        private Builder() {
        }

        /** Port of the embedded broker's PLAINTEXT listener; 0 (the default) picks a free one. */
        public Builder optKafkaPort(int kafkaPort) {
            this.kafkaPort = requirePort("kafkaPort", kafkaPort);
            return this;
        }

        /** Port of the embedded PostgreSQL; 0 (the default) picks a free one. */
        public Builder optPostgresPort(int postgresPort) {
            this.postgresPort = requirePort("postgresPort", postgresPort);
            return this;
        }

        /** Where the Kafka log dir and PostgreSQL data live and survive restarts; default a temp dir, deleted on close. */
        public Builder optDataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir: must not be null");
            return this;
        }

        /** Wipe the data dir first (only one LocalStack made). */
        public Builder optFresh(boolean fresh) {
            this.fresh = fresh;
            return this;
        }

        /** Partitions of each topic it creates; default 12. */
        public Builder optPartitions(int partitions) {
            if (partitions < 1 || partitions > 1000) {
                throw new IllegalArgumentException("partitions: must be between 1 and 1000, was " + partitions);
            }
            this.partitions = partitions;
            return this;
        }

        public Builder optDatabase(String database) {
            requireIdentifier("database", database);
            this.database = database;
            return this;
        }

        public Builder optUsername(String username) {
            requireIdentifier("username", username);
            this.username = username;
            return this;
        }

        /** Use this Kafka instead of starting one (topics are still created there); null starts one. */
        public Builder optExternalKafka(String bootstrapServers) {
            this.externalKafka = bootstrapServers;
            return this;
        }

        /** Use this PostgreSQL (a JDBC url) instead of starting one; null starts one. */
        public Builder optExternalDatabase(String jdbcUrl, String username, String password) {
            if (jdbcUrl != null) {
                reactiveUrlOf(jdbcUrl);
                databaseOf(jdbcUrl);
            }
            this.externalJdbcUrl = jdbcUrl;
            this.externalUser = username;
            this.externalPassword = password;
            return this;
        }

        public LocalStack build() {
            if (blankToNull(externalJdbcUrl) != null) {
                databaseOf(externalJdbcUrl.trim());
            }
            return new LocalStack(this);
        }

        private static int requirePort(String field, int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(field + ": must be between 0 and 65535, was " + port);
            }
            return port;
        }
    }
}
