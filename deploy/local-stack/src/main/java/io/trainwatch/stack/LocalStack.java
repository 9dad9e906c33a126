package io.trainwatch.stack;

import io.trainwatch.contracts.Topics;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.trainwatch.stack.PostgresCredentials.SUPERUSER;

/**
 * A real Kafka broker (single-node KRaft, in this JVM) and a real PostgreSQL (zonky binaries, a child process)
 * on 127.0.0.1, with every Trainwatch topic and the database created. Either server can be replaced by an
 * external one: set {@value #KAFKA_BOOTSTRAP_SERVERS} or {@value #TRAINWATCH_DB_URL} (system property or
 * environment variable), or use the builder's {@code optExternal…} setters. The embedded PostgreSQL asks every
 * connection for a scram-sha-256 password, generated on the data dir's first start and kept there
 * ({@link #password()}, {@link #passwordFile()}).
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().optPartitions(3).build().start()) {
 *     String bootstrap = stack.kafkaBootstrapServers();
 * }
 * }</pre>
 */
public final class LocalStack implements AutoCloseable {

    public static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String TRAINWATCH_DB_URL = "TRAINWATCH_DB_URL";
    public static final String TRAINWATCH_DB_USER = "TRAINWATCH_DB_USER";
    public static final String TRAINWATCH_DB_PASSWORD = "TRAINWATCH_DB_PASSWORD";

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
    private static final String HOST = "127.0.0.1";
    /** Written into a data dir we own, so --fresh never wipes a directory that someone else's data lives in. */
    static final String MARKER_FILE = ".trainwatch-local-stack";
    /** Largest record the topics take: the largest event the contracts allow, plus room for headers and batching. */
    public static final int MAX_MESSAGE_BYTES = io.trainwatch.contracts.Limits.MAX_EVENT_BYTES + 1024 * 1024;
    /** What ./run puts in a data dir besides our data: its logs (kept by --fresh) and the endpoints file. */
    private static final Set<String> RUN_FILES = Set.of("logs", "stack.env", "stack.env.tmp");
    private static final Pattern SQL_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** For an external PostgreSQL when TRAINWATCH_DB_PASSWORD is not given; the embedded one generates its own. */
    private static final String DEFAULT_EXTERNAL_PASSWORD = "trainwatch";

    private final int requestedKafkaPort;
    private final int requestedPostgresPort;
    private final Path requestedDataDir;
    private final boolean fresh;
    private final int partitions;
    private final String database;
    private final String externalKafka;
    private final String externalJdbcUrl;
    private final String username;
    /** The external server's password; for the embedded one it comes from {@link #credentials} at start. */
    private final String externalPassword;

    /** Set only on a view of a stack owned by another class loader (see {@link LocalStackTestResource}). */
    private final Map<String, Object> remote;

    private Path dataDir;
    private boolean dataDirIsTemporary;
    private int kafkaPort;
    private int controllerPort;
    private Properties kafkaProperties;
    private KafkaRaftServer broker;
    private EmbeddedPostgres postgres;
    private PostgresCredentials credentials;
    private int postgresPort;
    private boolean started;
    private boolean closed;

    private LocalStack(Builder builder) {
        this.requestedKafkaPort = builder.kafkaPort;
        this.requestedPostgresPort = builder.postgresPort;
        this.requestedDataDir = builder.dataDir;
        this.fresh = builder.fresh;
        this.partitions = builder.partitions;
        this.externalKafka = blankToNull(builder.externalKafka);
        this.externalJdbcUrl = blankToNull(builder.externalJdbcUrl);
        String externalUser = blankToNull(builder.externalUser);
        this.username = externalJdbcUrl != null && externalUser != null ? externalUser : builder.username;
        this.externalPassword = externalJdbcUrl == null ? null
                : builder.externalPassword != null ? builder.externalPassword : DEFAULT_EXTERNAL_PASSWORD;
        this.database = externalJdbcUrl != null ? databaseOf(externalJdbcUrl) : builder.database;
        this.remote = null;
    }

    private LocalStack(Map<String, Object> remote) {
        this.requestedKafkaPort = 0;
        this.requestedPostgresPort = 0;
        this.requestedDataDir = null;
        this.fresh = false;
        this.partitions = 0;
        this.database = null;
        this.externalKafka = null;
        this.externalJdbcUrl = null;
        this.username = null;
        this.externalPassword = null;
        this.remote = Map.copyOf(remote);
        this.started = true;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A stack that forwards to one started by another class loader; closing it does nothing. */
    static LocalStack view(Map<String, Object> handle) {
        return new LocalStack(handle);
    }

    /**
     * A map of JDK types only (Suppliers and Runnables), so that a class loader other than the owner's can
     * drive this stack: {@link #view(Map)} turns it back into a LocalStack.
     */
    Map<String, Object> handle() {
        Map<String, Object> handle = new LinkedHashMap<>();
        handle.put("kafkaBootstrapServers", (Supplier<String>) this::kafkaBootstrapServers);
        handle.put("jdbcUrl", (Supplier<String>) this::jdbcUrl);
        handle.put("reactiveUrl", (Supplier<String>) this::reactiveUrl);
        handle.put("username", (Supplier<String>) this::username);
        handle.put("password", (Supplier<String>) this::password);
        handle.put("passwordFile", (Supplier<String>) () -> passwordFile().map(Path::toString).orElse(""));
        handle.put("database", (Supplier<String>) this::database);
        handle.put("dataDir", (Supplier<String>) () -> dataDir().toString());
        handle.put("kafkaEmbedded", (Supplier<String>) () -> Boolean.toString(kafkaEmbedded()));
        handle.put("postgresEmbedded", (Supplier<String>) () -> Boolean.toString(postgresEmbedded()));
        handle.put("kafkaRunning", (Supplier<String>) () -> Boolean.toString(kafkaRunning()));
        handle.put("stopKafka", (Runnable) this::stopKafka);
        handle.put("startKafka", (Runnable) this::startKafka);
        handle.put("stopPostgres", (Runnable) this::stopPostgres);
        handle.put("startPostgres", (Runnable) this::startPostgres);
        return Map.copyOf(handle);
    }

    /**
     * Starts what is not external, creates the database and every topic of {@link Topics#ALL}, and returns once
     * Kafka answers describeCluster with every topic partition led and PostgreSQL answers {@code select 1}.
     * If anything fails, what was started is stopped again.
     */
    public synchronized LocalStack start() {
        if (remote != null || started) {
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
            if (externalJdbcUrl == null) {
                // Before anything starts: a data dir whose password is lost fails here, naming the file.
                credentials = PostgresCredentials.loadOrCreate(dataDir, postgresDataDir());
            }
            if (externalKafka == null) {
                kafkaPort = requestedKafkaPort == 0 ? freePort() : requirePortFree("kafkaPort", requestedKafkaPort);
                controllerPort = freePort();
                LOG.info("Kafka: embedded KRaft broker on {}:{} (log dir {})", HOST, kafkaPort, kafkaLogDir());
                startBroker();
            } else {
                LOG.info("Kafka: external at {} ({} is set); no broker started", externalKafka,
                        KAFKA_BOOTSTRAP_SERVERS);
            }
            awaitKafkaAndCreateTopics();
            if (externalJdbcUrl == null) {
                postgresPort = requestedPostgresPort == 0 ? freePort()
                        : requirePortFree("postgresPort", requestedPostgresPort);
                LOG.info("PostgreSQL: embedded on {}:{} (data dir {})", HOST, postgresPort, postgresDataDir());
                if (PostgresCredentials.trustsAnyone(postgresDataDir())) {
                    upgradeFromTrust();
                }
                startEmbeddedPostgres();
                createRoleAndDatabase();
            } else {
                LOG.info("PostgreSQL: external at {} ({} is set); no server started", externalJdbcUrl,
                        TRAINWATCH_DB_URL);
            }
            awaitPostgres();
            started = true;
            LOG.info("Local stack ready in {} ms: kafka {} postgres {}",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), kafkaBootstrapServers(), jdbcUrl());
            return this;
        } catch (RuntimeException | Error e) {
            stopQuietly();
            throw e;
        }
    }

    public String kafkaBootstrapServers() {
        if (remote != null) {
            return remoteGet("kafkaBootstrapServers");
        }
        return externalKafka != null ? externalKafka : HOST + ":" + requireStarted(kafkaPort, "kafkaBootstrapServers");
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/trainwatch}, or the external TRAINWATCH_DB_URL as given. */
    public String jdbcUrl() {
        if (remote != null) {
            return remoteGet("jdbcUrl");
        }
        if (externalJdbcUrl != null) {
            return externalJdbcUrl;
        }
        return "jdbc:postgresql://" + HOST + ":" + requireStarted(postgresPort, "jdbcUrl") + "/" + database;
    }

    /** The Vert.x form of {@link #jdbcUrl()}: {@code postgresql://127.0.0.1:PORT/trainwatch}, without JDBC parameters. */
    public String reactiveUrl() {
        if (remote != null) {
            return remoteGet("reactiveUrl");
        }
        return reactiveUrlOf(jdbcUrl());
    }

    public String username() {
        return remote != null ? remoteGet("username") : username;
    }

    /**
     * The password of {@link #username()}: the external one as given, or the embedded server's, generated on the
     * data dir's first start and kept in {@link #passwordFile()}.
     */
    public String password() {
        if (remote != null) {
            return remoteGet("password");
        }
        if (externalJdbcUrl != null) {
            return externalPassword;
        }
        if (credentials == null) {
            throw new IllegalStateException("password: the stack is not started; call start()");
        }
        return SUPERUSER.equals(username) ? credentials.superuserPassword() : credentials.password();
    }

    /**
     * Where the embedded PostgreSQL's password for {@link #username()} is stored (mode 0600, in the data dir);
     * empty when PostgreSQL is external.
     */
    public Optional<Path> passwordFile() {
        if (remote != null) {
            String file = remoteGet("passwordFile");
            return file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file));
        }
        if (externalJdbcUrl != null) {
            return Optional.empty();
        }
        if (credentials == null) {
            throw new IllegalStateException("passwordFile: the stack is not started; call start()");
        }
        return Optional.of(SUPERUSER.equals(username) ? credentials.superuserPasswordFile()
                : credentials.passwordFile());
    }

    public String database() {
        return remote != null ? remoteGet("database") : database;
    }

    /** Where the broker's log dir and PostgreSQL's data live (also used when both are external). */
    public Path dataDir() {
        if (remote != null) {
            return Path.of(remoteGet("dataDir"));
        }
        if (dataDir == null) {
            throw new IllegalStateException("dataDir: the stack is not started");
        }
        return dataDir;
    }

    public boolean kafkaEmbedded() {
        return remote != null ? Boolean.parseBoolean(remoteGet("kafkaEmbedded")) : externalKafka == null;
    }

    public boolean postgresEmbedded() {
        return remote != null ? Boolean.parseBoolean(remoteGet("postgresEmbedded")) : externalJdbcUrl == null;
    }

    public synchronized boolean kafkaRunning() {
        if (remote != null) {
            return Boolean.parseBoolean(remoteGet("kafkaRunning"));
        }
        return externalKafka != null || broker != null;
    }

    /**
     * The settings a Quarkus app needs, as Quarkus property names: kafka.bootstrap.servers and the datasource
     * JDBC and reactive URLs, username and password.
     */
    public Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafkaBootstrapServers());
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.reactive.url", reactiveUrl());
        config.put("quarkus.datasource.username", username());
        config.put("quarkus.datasource.password", password());
        return config;
    }

    /** The same settings as {@link #quarkusConfig()}, as the environment variables Quarkus maps to them. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(KAFKA_BOOTSTRAP_SERVERS, kafkaBootstrapServers());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", username());
        env.put("QUARKUS_DATASOURCE_PASSWORD", password());
        return env;
    }

    /**
     * Stops only the embedded broker, keeping its port and log dir, so that clients see an outage.
     * Does nothing if it is already stopped.
     *
     * @throws IllegalStateException when Kafka is external: it cannot be stopped from here
     */
    public synchronized void stopKafka() {
        if (remote != null) {
            ((Runnable) remote.get("stopKafka")).run();
            return;
        }
        withOwnClassLoader(() -> {
            doStopKafka();
            return null;
        });
    }

    private void doStopKafka() {
        requireEmbeddedKafka("stopKafka");
        if (broker == null) {
            return;
        }
        long begin = System.nanoTime();
        KafkaRaftServer stopping = broker;
        broker = null;
        stopping.shutdown();
        stopping.awaitShutdown();
        LOG.info("Kafka broker stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /**
     * Starts the embedded broker again on the same port and log dir, after {@link #stopKafka()}: topics and
     * records survive. Returns once it answers and every topic partition has a leader.
     */
    public synchronized void startKafka() {
        if (remote != null) {
            ((Runnable) remote.get("startKafka")).run();
            return;
        }
        withOwnClassLoader(() -> {
            doStartKafka();
            return null;
        });
    }

    private void doStartKafka() {
        requireEmbeddedKafka("startKafka");
        if (!started) {
            throw new IllegalStateException("startKafka: the stack is not started; call start()");
        }
        if (broker != null) {
            return;
        }
        long begin = System.nanoTime();
        startBroker();
        awaitKafkaAndCreateTopics();
        LOG.info("Kafka broker restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /**
     * Stops only the embedded PostgreSQL (fast shutdown: connections are cut), keeping its port and data, so that
     * clients see an outage. Does nothing if it is already stopped.
     *
     * @throws IllegalStateException when PostgreSQL is external: it cannot be stopped from here
     */
    public synchronized void stopPostgres() {
        if (remote != null) {
            ((Runnable) remote.get("stopPostgres")).run();
            return;
        }
        withOwnClassLoader(() -> {
            requireEmbeddedPostgres("stopPostgres");
            if (postgres != null) {
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
            return null;
        });
    }

    /** Starts the embedded PostgreSQL again on the same port and data, after {@link #stopPostgres()}. */
    public synchronized void startPostgres() {
        if (remote != null) {
            ((Runnable) remote.get("startPostgres")).run();
            return;
        }
        withOwnClassLoader(() -> {
            requireEmbeddedPostgres("startPostgres");
            if (!started) {
                throw new IllegalStateException("startPostgres: the stack is not started; call start()");
            }
            if (postgres == null) {
                long begin = System.nanoTime();
                startEmbeddedPostgres();
                awaitPostgres();
                LOG.info("PostgreSQL restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
            }
            return null;
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
        if (remote != null || externalJdbcUrl != null || !started || closed || postgres == null || postgresAlive()) {
            return false;
        }
        LOG.error("PostgreSQL on {}:{} died (no server process for {}); restarting it", HOST, postgresPort,
                postgresDataDir().resolve("postmaster.pid"));
        long begin = System.nanoTime();
        EmbeddedPostgres dead = postgres;
        postgres = null;
        try {
            dead.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("stopping the dead PostgreSQL: {}", e.toString());
        }
        withOwnClassLoader(() -> {
            startEmbeddedPostgres();
            awaitPostgres();
            return null;
        });
        LOG.warn("PostgreSQL restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
        return true;
    }

    /** True while the server process that postmaster.pid names is alive. */
    private boolean postgresAlive() {
        try {
            Path pidFile = postgresDataDir().resolve("postmaster.pid");
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

    private void requireEmbeddedPostgres(String operation) {
        if (externalJdbcUrl != null) {
            throw new IllegalStateException(operation + ": PostgreSQL is external (" + externalJdbcUrl
                    + "); only an embedded one can be stopped and started");
        }
    }

    /** Stops the broker (shutdown, then awaitShutdown) and PostgreSQL; deletes the data dir if it was temporary. */
    @Override
    public synchronized void close() {
        if (remote != null || closed) {
            return;
        }
        closed = true;
        RuntimeException failure = withOwnClassLoader(this::stopQuietly);
        if (failure != null) {
            throw failure;
        }
        LOG.info("Local stack stopped");
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

    // ---- Kafka ----------------------------------------------------------------------------------------------

    private Path kafkaLogDir() {
        return dataDir.resolve("kafka");
    }

    private void startBroker() {
        if (kafkaProperties == null) {
            kafkaProperties = brokerProperties();
            formatStorageIfNeeded(kafkaProperties);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(kafkaProperties, false), Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            server.awaitShutdown();
            throw new IllegalStateException("Kafka broker on " + HOST + ":" + kafkaPort + " did not start: " + e, e);
        }
        broker = server;
    }

    private Properties brokerProperties() {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", "1");
        // A static quorum (not --standalone): the controller port may change between runs on the same log dir.
        props.setProperty("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        props.setProperty("listeners", "PLAINTEXT://" + HOST + ":" + kafkaPort + ",CONTROLLER://" + HOST + ":"
                + controllerPort);
        props.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + kafkaPort);
        props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.setProperty("controller.listener.names", "CONTROLLER");
        props.setProperty("inter.broker.listener.name", "PLAINTEXT");
        props.setProperty("log.dirs", kafkaLogDir().toString());
        props.setProperty("num.partitions", Integer.toString(partitions));
        props.setProperty("auto.create.topics.enable", "false");
        // One node: every replication factor and min ISR is 1, or internal topics can never be created.
        props.setProperty("default.replication.factor", "1");
        props.setProperty("min.insync.replicas", "1");
        props.setProperty("offsets.topic.replication.factor", "1");
        props.setProperty("transaction.state.log.replication.factor", "1");
        props.setProperty("transaction.state.log.min.isr", "1");
        props.setProperty("share.coordinator.state.topic.replication.factor", "1");
        props.setProperty("share.coordinator.state.topic.min.isr", "1");
        // Fewer internal partitions than the default 50: the first consumer group and transaction start faster.
        props.setProperty("offsets.topic.num.partitions", "5");
        props.setProperty("transaction.state.log.num.partitions", "5");
        props.setProperty("share.coordinator.state.topic.num.partitions", "5");
        // Tests join and leave groups all the time: no 3 s wait before the first rebalance.
        props.setProperty("group.initial.rebalance.delay.ms", "0");
        props.setProperty("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        // The cleaner allocates its dedupe buffer up front (128 MiB by default): too much for a laptop stack.
        props.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        props.setProperty("num.network.threads", "2");
        props.setProperty("num.io.threads", "4");
        return props;
    }

    /** KRaft needs a formatted log dir; formatting once keeps the cluster id, so records survive restarts. */
    private void formatStorageIfNeeded(Properties props) {
        Path logDir = kafkaLogDir();
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            Path propsFile = dataDir.resolve("kafka-server.properties");
            try (OutputStream out = Files.newOutputStream(propsFile)) {
                props.store(out, "Written by LocalStack to format the KRaft log dir");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int status;
            // execute, not main: main calls System.exit.
            try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                status = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                        propsFile.toString()}, print);
            }
            if (status != 0) {
                throw new IllegalStateException("Kafka storage format of " + logDir + " failed with status " + status
                        + ": " + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Kafka storage format of " + logDir + " failed: " + e.getMessage(), e);
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrapServers());
        props.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        props.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        props.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "trainwatch-local-stack");
        return Admin.create(props);
    }

    private void awaitKafkaAndCreateTopics() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = admin()) {
            retryUntil(deadline, "Kafka at " + kafkaBootstrapServers() + " to answer describeCluster", () -> {
                Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                return !nodes.isEmpty();
            });
            retryUntil(deadline, "topics " + Topics.ALL + " to exist", () -> {
                createMissingTopics(admin);
                return true;
            });
            retryUntil(deadline, "every partition of " + Topics.ALL + " to have a leader", () -> allLed(admin));
        }
    }

    private void createMissingTopics(Admin admin) throws Exception {
        Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        List<NewTopic> missing = new ArrayList<>();
        for (String topic : Topics.ALL) {
            if (!existing.contains(topic)) {
                // Events may be as large as Limits.MAX_EVENT_BYTES (a 10,000-layer model); Kafka's default is ~1 MB.
                missing.add(new NewTopic(topic, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES))));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        try {
            admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
            LOG.info("Created topics {} with {} partitions", missing.stream().map(NewTopic::name).toList(),
                    partitions);
        } catch (ExecutionException e) {
            // Another process (or a previous, timed-out attempt) created it first: that is what we wanted.
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private boolean allLed(Admin admin) throws Exception {
        Map<String, TopicDescription> descriptions = admin.describeTopics(Topics.ALL).allTopicNames()
                .get(10, TimeUnit.SECONDS);
        for (TopicDescription description : descriptions.values()) {
            for (TopicPartitionInfo partition : description.partitions()) {
                if (partition.leader() == null || partition.leader().isEmpty()) {
                    return false;
                }
            }
            if (description.partitions().size() != partitions) {
                LOG.info("Topic {} exists with {} partitions (configured {}); left as it is", description.name(),
                        description.partitions().size(), partitions);
            }
        }
        return true;
    }

    private void requireEmbeddedKafka(String operation) {
        if (externalKafka != null) {
            throw new IllegalStateException(operation + ": Kafka is external (" + externalKafka
                    + "); only an embedded broker can be stopped and started");
        }
    }

    // ---- PostgreSQL -----------------------------------------------------------------------------------------

    private Path postgresDataDir() {
        return dataDir.resolve("postgres");
    }

    /** Starts PostgreSQL with a pg_hba.conf that asks every connection for a password. */
    private void startEmbeddedPostgres() {
        postgres = startEmbeddedPostgres(true);
    }

    /**
     * @param requirePasswords false only to upgrade a data dir from the trust days: it then starts with the
     *                         pg_hba.conf it has
     */
    private EmbeddedPostgres startEmbeddedPostgres(boolean requirePasswords) {
        try {
            EmbeddedPostgres.Builder pg = EmbeddedPostgres.builder()
                    .setPort(postgresPort)
                    .setDataDirectory(postgresDataDir())
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
            if (dataDirIsTemporary) {
                // Throwaway test data: durability costs time and buys nothing.
                pg.setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off");
            }
            return pg.start();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL on " + HOST + ":" + postgresPort + " did not start: "
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
                + " with the passwords in {} and {}", postgresDataDir(), PostgresCredentials.AUTH_METHOD,
                credentials.passwordFile(), credentials.superuserPasswordFile());
        EmbeddedPostgres legacy = startEmbeddedPostgres(false);
        try (Connection connection = DriverManager.getConnection(adminUrl(), SUPERUSER,
                credentials.superuserPassword());
             Statement statement = connection.createStatement()) {
            setPassword(statement, SUPERUSER, credentials.superuserPassword());
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL on " + HOST + ":" + postgresPort + ": setting the password of "
                    + SUPERUSER + " failed: " + e.getMessage(), e);
        } finally {
            try {
                legacy.close();
            } catch (IOException e) {
                LOG.warn("Stopping PostgreSQL after the upgrade failed: {}", e.toString());
            }
        }
        LOG.info("PostgreSQL data in {} upgraded: every connection now needs a password", postgresDataDir());
    }

    private String adminUrl() {
        return "jdbc:postgresql://" + HOST + ":" + postgresPort + "/postgres";
    }

    /** Also on every later start: the stored password file is the truth, and a role from the trust days gets it. */
    private static void setPassword(Statement statement, String role, String password) throws SQLException {
        statement.execute("alter role " + role + " password '" + password.replace("'", "''") + "'");
    }

    /** The role and database the apps use, with the role's password; initdb only made the superuser postgres. */
    private void createRoleAndDatabase() {
        requireIdentifier("database", database);
        requireIdentifier("username", username);
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
            throw new IllegalStateException("PostgreSQL on " + HOST + ":" + postgresPort + ": creating role "
                    + username + " and database " + database + " failed: " + e.getMessage(), e);
        }
    }

    private static boolean exists(Statement statement, String query) throws SQLException {
        try (ResultSet rows = statement.executeQuery(query)) {
            return rows.next();
        }
    }

    private void awaitPostgres() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        retryUntil(deadline, "PostgreSQL at " + jdbcUrl() + " to answer select 1", () -> {
            try (Connection connection = DriverManager.getConnection(jdbcUrl(), username, password());
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("select 1")) {
                return rows.next() && rows.getInt(1) == 1;
            }
        });
    }

    // ---- data dir, ports, helpers ---------------------------------------------------------------------------

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

    /** Stops whatever runs, in reverse order of start; returns the first failure instead of throwing it. */
    private RuntimeException stopQuietly() {
        RuntimeException failure = null;
        if (broker != null) {
            try {
                KafkaRaftServer stopping = broker;
                broker = null;
                stopping.shutdown();
                stopping.awaitShutdown();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (postgres != null) {
            try {
                EmbeddedPostgres stopping = postgres;
                postgres = null;
                stopping.close();
            } catch (IOException | RuntimeException e) {
                failure = failure != null ? failure : new IllegalStateException("PostgreSQL stop failed: " + e, e);
            }
        }
        if (dataDirIsTemporary && dataDir != null) {
            try {
                deleteRecursively(dataDir, true);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Could not delete the temporary data dir {}: {}", dataDir, e.toString());
            }
        }
        started = false;
        return failure;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST + ": " + e.getMessage(), e);
        }
    }

    /** Fails early with the port named: otherwise a busy port surfaces as a bind error deep in the broker. */
    private static int requirePortFree(String field, int port) {
        try (ServerSocket socket = new ServerSocket(port, 50, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return port;
        } catch (IOException e) {
            throw new IllegalStateException(field + ": " + HOST + ":" + port + " is already in use ("
                    + e.getMessage() + "); stop what listens there or choose another port", e);
        }
    }

    private static int requireStarted(int port, String what) {
        if (port == 0) {
            throw new IllegalStateException(what + ": the stack is not started; call start()");
        }
        return port;
    }

    @FunctionalInterface
    private interface Check {
        boolean ready() throws Exception;
    }

    /** Polls until the check answers true; the last failure goes into the timeout message. */
    private static void retryUntil(long deadlineNanos, String what, Check check) {
        Exception last = null;
        long pause = 50;
        while (true) {
            try {
                if (check.ready()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + what, e);
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("Timed out after " + READY_TIMEOUT.toSeconds() + " s waiting for "
                        + what + (last == null ? "" : ": " + last), last);
            }
            try {
                // Polling a server that is starting: a short, growing pause between attempts.
                TimeUnit.MILLISECONDS.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + what, e);
            }
            pause = Math.min(pause * 2, 500);
        }
    }

    private String remoteGet(String key) {
        @SuppressWarnings("unchecked")
        Supplier<String> supplier = (Supplier<String>) remote.get(key);
        return supplier.get();
    }

    private static void requireIdentifier(String field, String value) {
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
        if (remote != null) {
            return "LocalStack(view of " + kafkaBootstrapServers() + ", " + jdbcUrl() + ")";
        }
        return "LocalStack(kafka " + (externalKafka != null ? externalKafka : HOST + ":" + kafkaPort) + ", postgres "
                + (externalJdbcUrl != null ? externalJdbcUrl : HOST + ":" + postgresPort) + ", started " + started
                + ")";
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
