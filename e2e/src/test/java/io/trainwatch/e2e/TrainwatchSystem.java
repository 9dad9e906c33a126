package io.trainwatch.e2e;

import io.trainwatch.stack.LocalStack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole system for end-to-end tests, started once per test JVM and shared by every test class: the local stack
 * in this JVM (real Kafka and PostgreSQL), then metrics-api and trainer-host as separate processes, each on a free
 * port. Stopped by a shutdown hook. A test that breaks the system on purpose starts one of its own instead
 * ({@link #startOwn}, with its own settings) and closes it.
 */
final class TrainwatchSystem implements AutoCloseable {

    private static TrainwatchSystem instance;

    /** The e2e admin token: preloaded into metrics-api (its SHA-256 below), sent by every helper and client. */
    static final String ADMIN_SECRET = "tw_e2e-admin-secret-only-for-the-end-to-end-tests-0000";
    static final String BEARER = "Bearer " + ADMIN_SECRET;
    private static final String ADMIN_HASH = "b99e77a3e321304b35b119f9edcfe48b4d1cae39827fae47b6381c63061f052c";

    /** What metrics-api needs to know the e2e admin token (and where its first-start token would go). */
    static void authEnv(Map<String, String> env, Path work) {
        env.put("TRAINWATCH_AUTH_TOKENS", "e2e-admin:admin::" + ADMIN_HASH);
        env.put("TRAINWATCH_AUTH_BOOTSTRAP_FILE", work.resolve("admin-token").toString());
    }

    final LocalStack stack;
    /** Replaced by {@link #restartMetricsApi}; on the same port, so URLs taken from it stay valid. */
    volatile AppProcess metricsApi;
    /** Replaced by {@link #restartTrainerHost}; on the same port and spool. */
    volatile AppProcess trainerHost;
    final Path repoRoot;
    /** Prefix of the process and log names: empty for the shared system. */
    private final String name;
    private final Map<String, String> env;
    private final List<String> apiJvmOptions;
    private final List<String> trainerJvmOptions;
    private final Path logs;
    private int restarts;

    private TrainwatchSystem(String name, LocalStack stack, AppProcess metricsApi, AppProcess trainerHost,
                             Path repoRoot, Map<String, String> env, List<String> apiJvmOptions,
                             List<String> trainerJvmOptions, Path logs) {
        this.name = name;
        this.stack = stack;
        this.metricsApi = metricsApi;
        this.trainerHost = trainerHost;
        this.repoRoot = repoRoot;
        this.env = env;
        this.apiJvmOptions = apiJvmOptions;
        this.trainerJvmOptions = trainerJvmOptions;
        this.logs = logs;
    }

    /** Stops metrics-api (SIGTERM), as an operator or a crash-looping deployment would. */
    synchronized void stopMetricsApi() {
        metricsApi.terminate();
    }

    /** SIGKILL of metrics-api: no shutdown code runs (its consumer does not leave the group). */
    synchronized void killMetricsApi() throws InterruptedException {
        metricsApi.kill();
    }

    /** Starts metrics-api again on its old port; returns once it is ready. */
    synchronized void restartMetricsApi() {
        metricsApi = restart("metrics-api", metricsApi.port(), apiJvmOptions);
    }

    /** SIGKILL of trainer-host, as in a crash: its jobs stop where they are, its spool stays on disk. */
    synchronized void killTrainerHost() throws InterruptedException {
        trainerHost.kill();
    }

    /** Starts trainer-host again on its old port and spool; returns once it is ready. */
    synchronized void restartTrainerHost() {
        trainerHost = restart("trainer-host", trainerHost.port(), trainerJvmOptions);
    }

    private AppProcess restart(String module, int port, List<String> jvm) {
        try {
            return AppProcess.start(name + module + "-restart-" + (++restarts), repoRoot, module, port, env, jvm, logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized TrainwatchSystem get() {
        if (instance == null) {
            instance = start("", Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "trainwatch-e2e-stop"));
        }
        return instance;
    }

    /**
     * A system of the caller's own, beside the shared one: its own stack, metrics-api and trainer-host, with
     * {@code settings} added to both apps' environment (e.g. {@code TRAINWATCH_LIVENESS_FLOOR}). Process and log
     * names start with {@code name}. The caller closes it.
     */
    static TrainwatchSystem startOwn(String name, Map<String, String> settings) {
        return start(name + "-", settings);
    }

    private static TrainwatchSystem start(String name, Map<String, String> settings) {
        Path repoRoot = Path.of(System.getProperty("trainwatch.repo.root", "..")).toAbsolutePath().normalize();
        Path logs = Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).toAbsolutePath();
        try {
            Path work = Files.createTempDirectory("trainwatch-e2e" + (name.isEmpty() ? "" : "-" + name));
            LocalStack stack = LocalStack.builder().optKafkaPort(0).optPostgresPort(0)
                    .optDataDir(work.resolve("stack")).optPartitions(3).build().start();
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("KAFKA_BOOTSTRAP_SERVERS", stack.kafkaBootstrapServers());
            env.put("QUARKUS_DATASOURCE_JDBC_URL", stack.jdbcUrl());
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", stack.reactiveUrl());
            env.put("QUARKUS_DATASOURCE_USERNAME", stack.username());
            env.put("QUARKUS_DATASOURCE_PASSWORD", stack.password());
            env.put("TRAINWATCH_SPOOL_DIR", work.resolve("spool").toString());
            authEnv(env, work);
            env.putAll(settings);
            String tmp = "-Djava.io.tmpdir=" + work.resolve("tmp");
            Files.createDirectories(work.resolve("tmp"));
            AppProcess api = AppProcess.start(name + "metrics-api", repoRoot, "metrics-api", freePort(), env,
                    List.of(tmp), logs);
            // trainer-host checks job API tokens with metrics-api.
            env.put("TRAINWATCH_METRICS_API_URL", api.url(""));
            AppProcess trainer = AppProcess.start(name + "trainer-host", repoRoot, "trainer-host", freePort(), env,
                    trainerJvmOptions(work), logs);
            return new TrainwatchSystem(name, stack, api, trainer, repoRoot, Map.copyOf(env), List.of(tmp),
                    trainerJvmOptions(work), logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts one more trainer-host process beside {@link #trainerHost}, serving the same job queue, with its own
     * host name and spool; returns once it is ready. The caller stops it.
     */
    AppProcess startSecondTrainerHost(String name) {
        try {
            Path work = Files.createTempDirectory("trainwatch-e2e-" + name);
            Files.createDirectories(work.resolve("tmp"));
            Map<String, String> second = new HashMap<>(env);
            second.put("TRAINWATCH_SPOOL_DIR", work.resolve("spool").toString());
            second.put("HOSTNAME", name);
            return AppProcess.start(name, repoRoot, "trainer-host", freePort(), second, trainerJvmOptions(work), logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> trainerJvmOptions(Path work) {
        return List.of("-Djava.io.tmpdir=" + work.resolve("tmp"), "-Dai.djl.offline=true", "-Djna.tmpdir=" + work.resolve("tmp"));
    }

    private void stop() {
        trainerHost.close();
        metricsApi.close();
        stack.close();
    }

    /** Stops a system of one's own ({@link #startOwn}); the shared one is stopped by its shutdown hook. */
    @Override
    public void close() {
        if (this == instance) {
            throw new IllegalStateException("the shared system stops with the JVM");
        }
        stop();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
