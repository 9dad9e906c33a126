package io.trainwatch.e2e;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStack;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Ingest with 1 and with 2 packaged metrics-api replicas against one Kafka (12 partitions) and one PostgreSQL: for
 * each, a fresh stack, a warm-up, then R runs × E epochs produced as fast as the producer goes, timed until
 * PostgreSQL holds them all. Prints events/s, lock wait (pg_stat_activity sampled every 10 ms: backends waiting
 * with {@code wait_event_type = 'Lock'}, by wait event) and CPU per event (replicas + this JVM, which runs the broker
 * and the producer + PostgreSQL). Not part of {@code verify} (not an *IT); run it by name, see docs/benchmarks.md.
 *
 * <p>{@code -Dbench.app-root=DIR}: take the packaged metrics-api from another checkout (to compare two versions in
 * the same window).
 */
class ReplicaScalingBenchmark {

    static final int PARTITIONS = 12;
    static final long SAMPLE_MS = 10;

    @Test
    void oneAndTwoReplicas() throws Exception {
        int runs = Integer.getInteger("bench.runs", 48);
        int epochs = Integer.getInteger("bench.epochs", 1000);
        int warmupRuns = Integer.getInteger("bench.warmup-runs", 12);
        List<Integer> replicaCounts = Stream.of(System.getProperty("bench.replicas", "1,2").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        Path repoRoot = Path.of(System.getProperty("trainwatch.repo.root", "..")).toAbsolutePath().normalize();
        Path appRoot = Path.of(System.getProperty("bench.app-root", repoRoot.toString())).toAbsolutePath().normalize();
        Path logs = Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).toAbsolutePath();
        emit(String.format("BENCH replicas: app from %s; %d runs x %d epochs after a %d-run warm-up; load average %s",
                appRoot, runs, epochs, warmupRuns, loadAverage()));
        for (int n : replicaCounts) {
            measure(n, runs, epochs, warmupRuns, appRoot, logs);
        }
    }

    private void measure(int replicas, int runs, int epochs, int warmupRuns, Path appRoot, Path logs) throws Exception {
        Path work = Files.createTempDirectory("trainwatch-replica-bench");
        try (LocalStack stack = LocalStack.builder().optKafkaPort(0).optPostgresPort(0).optDataDir(work.resolve("stack"))
                .optPartitions(PARTITIONS).build().start()) {
            Map<String, String> env = new HashMap<>(stack.environment());
            env.put("KAFKA_BOOTSTRAP_SERVERS", stack.kafkaBootstrapServers());
            env.put("QUARKUS_DATASOURCE_JDBC_URL", stack.jdbcUrl());
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", stack.reactiveUrl());
            env.put("QUARKUS_DATASOURCE_USERNAME", stack.username());
            env.put("QUARKUS_DATASOURCE_PASSWORD", stack.password());
            Files.createDirectories(work.resolve("tmp"));
            List<String> jvm = List.of("-Djava.io.tmpdir=" + work.resolve("tmp"));
            List<AppProcess> apps = new ArrayList<>();
            try {
                for (int i = 0; i < replicas; i++) {
                    apps.add(AppProcess.start("bench-metrics-api-" + replicas + "-" + i, appRoot, "metrics-api",
                            TrainwatchSystem.freePort(), env, jvm, logs));
                }
                awaitGroup(stack, replicas);
                try (Connection db = DriverManager.getConnection(stack.jdbcUrl(), stack.username(), stack.password());
                     KafkaProducer<String, byte[]> producer = producer(stack)) {
                    produce(producer, "warmup-" + replicas, warmupRuns, epochs);
                    awaitStored(db, (long) warmupRuns * epochs);

                    long pgPid = Long.parseLong(Files.readAllLines(stack.dataDir().resolve("postgres/postmaster.pid"))
                            .get(0).trim());
                    long cpuBefore = cpuNanos(apps, pgPid);
                    LockSampler sampler = new LockSampler(stack);
                    java.util.concurrent.ScheduledExecutorService sampling =
                            java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
                    sampling.scheduleAtFixedRate(sampler, 0, SAMPLE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
                    long start = System.nanoTime();
                    produce(producer, "bench-" + replicas, runs, epochs);
                    double producedS = (System.nanoTime() - start) / 1e9;
                    awaitStored(db, (long) (warmupRuns + runs) * epochs);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    sampling.shutdown();
                    sampling.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
                    sampler.close();
                    long cpu = cpuNanos(apps, pgPid) - cpuBefore;
                    long events = (long) runs * epochs;
                    emit(String.format("BENCH replicas=%d: %d epoch events stored in %.2f s = %.0f events/s end to end "
                                    + "(Kafka -> PostgreSQL with analysis; producing took %.2f s); CPU %.1f us per event "
                                    + "(replicas + broker/producer JVM + PostgreSQL); load average %s",
                            replicas, events, seconds, events / seconds, producedS, cpu / 1e3 / events, loadAverage()));
                    emit(String.format("BENCH replicas=%d lock wait: %s", replicas, sampler.summary()));
                }
            } finally {
                apps.forEach(AppProcess::close);
            }
        }
    }

    private static void awaitGroup(LocalStack stack, int replicas) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()))) {
            await("replicas in the consumer group with partitions").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("trainwatch-ingest"))
                                .all().get().get("trainwatch-ingest");
                        return group.members().size() == replicas
                                && group.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
                    });
        }
    }

    private static void awaitStored(Connection db, long count) {
        await("epochs stored").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM epoch_metrics")) {
                rs.next();
                return rs.getLong(1) >= count;
            }
        });
    }

    private static KafkaProducer<String, byte[]> producer(LocalStack stack) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        return new KafkaProducer<>(p);
    }

    /** Epoch-major across runs, as concurrent trainings publish; runs spread over the partitions by key. */
    private static void produce(KafkaProducer<String, byte[]> producer, String prefix, int runs, int epochs) {
        byte[] source = "/e2e/replica-bench".getBytes(StandardCharsets.UTF_8);
        for (int e = 0; e < epochs; e++) {
            for (int r = 0; r < runs; r++) {
                String run = prefix + "-" + r;
                EpochCompleted epoch = EpochCompleted.builder(run, e).optTotalEpochs(epochs)
                        .optTrainLoss(1.0 / (e + 1)).optValLoss(1.1 / (e + 1)).optTrainAccuracy(0.5)
                        .optValAccuracy(0.5).optLearningRate(0.01).build();
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, run,
                        EventCodec.instance().encode(epoch));
                CloudEvents.headers(epoch, CloudEvents.newId(), new String(source, StandardCharsets.UTF_8), Instant.now())
                        .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
        }
        producer.flush();
    }

    /** Samples backends waiting on a heavyweight lock (advisory, row, relation, transaction id …), by wait event. */
    private static final class LockSampler implements Runnable, AutoCloseable {
        private final Connection connection;
        private final Map<String, Long> waitingSamples = new TreeMap<>();
        private final long started = System.nanoTime();
        private long samples;
        private long activeSamples;
        private long waiting;
        private long ended;

        LockSampler(LocalStack stack) throws SQLException {
            connection = DriverManager.getConnection(stack.jdbcUrl(), stack.username(), stack.password());
        }

        @Override
        public void run() {
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery("SELECT wait_event_type, wait_event FROM pg_stat_activity "
                         + "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state = 'active'")) {
                samples++;
                while (rs.next()) {
                    activeSamples++;
                    if ("Lock".equals(rs.getString(1))) {
                        waiting++;
                        waitingSamples.merge(rs.getString(2), 1L, Long::sum);
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("lock sampling failed", e);
            }
        }

        @Override
        public void close() throws SQLException {
            ended = System.nanoTime();
            connection.close();
        }

        String summary() {
            double wall = (ended - started) / 1e9;
            double interval = samples == 0 ? 0 : wall / samples;
            return String.format("%d samples over %.2f s (one every %.1f ms); backend-samples active %d, waiting on a lock "
                            + "%d (%.1f %%), by wait event %s; estimated lock wait %.2f backend-seconds",
                    samples, wall, interval * 1e3, activeSamples, waiting,
                    activeSamples == 0 ? 0.0 : 100.0 * waiting / activeSamples, waitingSamples, waiting * interval);
        }
    }

    private static long cpuNanos(List<AppProcess> apps, long postmasterPid) throws IOException {
        Set<Long> pids = new java.util.HashSet<>();
        apps.forEach(a -> pids.add(a.pid()));
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long pid = Long.parseLong(name);
                    long ppid = Long.parseLong(f[1]);
                    if (pids.contains(pid) || pid == postmasterPid || ppid == postmasterPid) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException | RuntimeException gone) {
                    // the process ended meanwhile
                }
            }
        }
        long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        return ticks * 10_000_000L + jvm; // USER_HZ = 100
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static void emit(String line) {
        System.out.println(line);
        try {
            Path out = Path.of("target", "replica-benchmark.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
