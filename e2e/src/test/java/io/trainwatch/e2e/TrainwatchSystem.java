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
 * port. Stopped by a shutdown hook.
 */
final class TrainwatchSystem {

    private static TrainwatchSystem instance;

    final LocalStack stack;
    /** Replaced by {@link #restartMetricsApi}; on the same port, so URLs taken from it stay valid. */
    volatile AppProcess metricsApi;
    final AppProcess trainerHost;
    final Path repoRoot;
    private final Map<String, String> env;
    private final List<String> apiJvmOptions;
    private final Path logs;

    private TrainwatchSystem(LocalStack stack, AppProcess metricsApi, AppProcess trainerHost, Path repoRoot,
                             Map<String, String> env, List<String> apiJvmOptions, Path logs) {
        this.stack = stack;
        this.metricsApi = metricsApi;
        this.trainerHost = trainerHost;
        this.repoRoot = repoRoot;
        this.env = env;
        this.apiJvmOptions = apiJvmOptions;
        this.logs = logs;
    }

    /** Stops metrics-api (SIGTERM), as an operator or a crash-looping deployment would. */
    synchronized void stopMetricsApi() {
        metricsApi.terminate();
    }

    /** Starts metrics-api again on its old port; returns once it is ready. */
    synchronized void restartMetricsApi() {
        try {
            metricsApi = AppProcess.start("metrics-api-restarted", repoRoot, "metrics-api", metricsApi.port(), env,
                    apiJvmOptions, logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized TrainwatchSystem get() {
        if (instance == null) {
            instance = start();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "trainwatch-e2e-stop"));
        }
        return instance;
    }

    private static TrainwatchSystem start() {
        Path repoRoot = Path.of(System.getProperty("trainwatch.repo.root", "..")).toAbsolutePath().normalize();
        Path logs = Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).toAbsolutePath();
        try {
            Path work = Files.createTempDirectory("trainwatch-e2e");
            LocalStack stack = LocalStack.builder().optKafkaPort(0).optPostgresPort(0)
                    .optDataDir(work.resolve("stack")).optPartitions(3).build().start();
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("KAFKA_BOOTSTRAP_SERVERS", stack.kafkaBootstrapServers());
            env.put("QUARKUS_DATASOURCE_JDBC_URL", stack.jdbcUrl());
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", stack.reactiveUrl());
            env.put("QUARKUS_DATASOURCE_USERNAME", stack.username());
            env.put("QUARKUS_DATASOURCE_PASSWORD", stack.password());
            env.put("TRAINWATCH_SPOOL_DIR", work.resolve("spool").toString());
            String tmp = "-Djava.io.tmpdir=" + work.resolve("tmp");
            Files.createDirectories(work.resolve("tmp"));
            AppProcess api = AppProcess.start("metrics-api", repoRoot, "metrics-api", freePort(), env,
                    List.of(tmp), logs);
            AppProcess trainer = AppProcess.start("trainer-host", repoRoot, "trainer-host", freePort(), env,
                    List.of(tmp, "-Dai.djl.offline=true", "-Djna.tmpdir=" + work.resolve("tmp")), logs);
            return new TrainwatchSystem(stack, api, trainer, repoRoot, Map.copyOf(env), List.of(tmp), logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void stop() {
        trainerHost.close();
        metricsApi.close();
        stack.close();
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
