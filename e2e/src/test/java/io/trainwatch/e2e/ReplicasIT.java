package io.trainwatch.e2e;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStack;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two metrics-api replicas sharing one Kafka (same consumer group, so each stores the runs of its own partitions)
 * and one PostgreSQL: each replica's SSE clients must still see every epoch of every run, exactly once and in per-run
 * order — the runs the other replica stored included (docs/api.md, "Live updates": broadcast, storage shared out).
 * Then failover (last, it kills a replica): after kill -9 of one replica, the other takes its partitions over and
 * stores their events within seconds (the figure is printed). Its own stack (4 partitions) and its own two packaged
 * metrics-api processes; no trainer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicasIT {

    /** Failover must beat Kafka's 45 s default session timeout by far (the ingest consumer's is 10 s). */
    static final Duration FAILOVER_LIMIT = Duration.ofSeconds(25);

    static final int PARTITIONS = 4;
    static final int RUNS = 6;
    static final int EPOCHS = 20;

    static LocalStack stack;
    static String sessionTimeout;
    static AppProcess a;
    static AppProcess b;

    @BeforeAll
    static void start() throws Exception {
        Path repoRoot = Path.of(System.getProperty("trainwatch.repo.root", "..")).toAbsolutePath().normalize();
        Path logs = Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).toAbsolutePath();
        Path work = Files.createTempDirectory("trainwatch-replicas");
        stack = LocalStack.builder().optKafkaPort(0).optPostgresPort(0).optDataDir(work.resolve("stack"))
                .optPartitions(PARTITIONS).build().start();
        Map<String, String> env = new HashMap<>(stack.environment());
        env.put("KAFKA_BOOTSTRAP_SERVERS", stack.kafkaBootstrapServers());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", stack.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", stack.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", stack.username());
        env.put("QUARKUS_DATASOURCE_PASSWORD", stack.password());
        TrainwatchSystem.authEnv(env, work);
        // -Dreplicas.session-timeout-ms=45000 measures failover with Kafka's default session timeout (the "before").
        sessionTimeout = System.getProperty("replicas.session-timeout-ms");
        if (sessionTimeout != null && !sessionTimeout.isBlank()) {
            env.put("MP_MESSAGING_INCOMING_RUN_EVENTS_SESSION_TIMEOUT_MS", sessionTimeout);
        }
        Files.createDirectories(work.resolve("tmp"));
        List<String> jvm = List.of("-Djava.io.tmpdir=" + work.resolve("tmp"), "-Xmx384m");
        // Both at once: the two starts overlap (Flyway's lock serialises the migration).
        CompletableFuture<AppProcess> first = CompletableFuture.supplyAsync(() -> startReplica("metrics-api-a", repoRoot,
                env, jvm, logs));
        CompletableFuture<AppProcess> second = CompletableFuture.supplyAsync(() -> startReplica("metrics-api-b",
                repoRoot, env, jvm, logs));
        a = first.join();
        b = second.join();
    }

    private static AppProcess startReplica(String name, Path repoRoot, Map<String, String> env, List<String> jvm,
                                           Path logs) {
        try {
            return AppProcess.start(name, repoRoot, "metrics-api", TrainwatchSystem.freePort(), env, jvm, logs);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(2)
    void aTokenRevokedOnOneReplicaIsRefusedByTheOtherWithinASecond() {
        Http.Reply created = Http.post(a.url("/api/v1/tokens"), java.util.Map.of("name", "replica-revoke", "scopes",
                List.of("read")));
        assertEquals(201, created.status(), created.raw());
        String secret = created.body().path("secret").asText();
        // Created on a: b knows it once a's NOTIFY (or b's periodic reload) has arrived.
        await("b knows the new token").atMost(Duration.ofSeconds(5))
                .until(() -> Http.get(b.url("/api/v1/runs"), secret).status() == 200);
        assertEquals(204, Http.delete(a.url("/api/v1/tokens/replica-revoke")).status());
        long revokedAt = System.nanoTime();
        await("b refuses the revoked token").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> Http.get(b.url("/api/v1/runs"), secret).status() == 401);
        System.out.printf("replica b refused the token %d ms after the revoke on a%n", (System.nanoTime() - revokedAt) / 1_000_000);
    }

    @Test
    @Order(1)
    void everyReplicaStreamsEveryEpochWhileStorageIsShared() throws Exception {
        awaitBothAssigned();
        // Runs spread over every partition, so that each replica stores some of them.
        List<String> runs = runsCoveringPartitions("replicas-" + System.nanoTime());
        try (SseStream onA = new SseStream(URI.create(a.url("/api/v1/events")));
             SseStream onB = new SseStream(URI.create(b.url("/api/v1/events")))) {
            // Connected and registered with each replica's change feed (a fresh stream starts "from now").
            await("SSE clients registered").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> metric(a, "trainwatch_sse_clients") >= 1 && metric(b, "trainwatch_sse_clients") >= 1);
            double storedBeforeA = metric(a, "trainwatch_ingest_events_total");
            double storedBeforeB = metric(b, "trainwatch_ingest_events_total");
            produce(runs);
            await("every epoch on both replicas' streams").atMost(Duration.ofSeconds(40))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> onA.epochs().size() >= RUNS * EPOCHS && onB.epochs().size() >= RUNS * EPOCHS);
            for (SseStream stream : List.of(onA, onB)) {
                List<String[]> got = stream.epochs();
                assertEquals(RUNS * EPOCHS, got.size(), "each epoch exactly once: " + got.size());
                Map<String, List<Integer>> perRun = new HashMap<>();
                long lastId = -1;
                for (String[] e : got) {
                    perRun.computeIfAbsent(e[0], k -> new ArrayList<>()).add(Integer.parseInt(e[1]));
                    long id = Long.parseLong(e[2]);
                    assertTrue(id > lastId, "ids (global positions) strictly increase: " + id + " after " + lastId);
                    lastId = id;
                }
                assertEquals(new HashSet<>(runs), perRun.keySet());
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < EPOCHS; i++) {
                    expected.add(i);
                }
                perRun.forEach((run, epochs) -> assertEquals(expected, epochs, "run " + run + " in order, once each"));
            }
            // Storage was shared: each replica stored some of the runs' events (its partitions'), together all of them.
            double storedA = metric(a, "trainwatch_ingest_events_total") - storedBeforeA;
            double storedB = metric(b, "trainwatch_ingest_events_total") - storedBeforeB;
            assertTrue(storedA > 0 && storedB > 0, "both replicas stored events: a " + storedA + ", b " + storedB);
            // At least once (a redelivery after a rebalance would count twice; the group was stable, so none is expected).
            assertTrue(storedA + storedB >= RUNS * EPOCHS, "every event stored: a " + storedA + ", b " + storedB);
        }
    }

    @Test
    @Order(3)
    void afterKillMinus9OfOneReplicaTheOtherStoresEveryPartitionWithinSeconds() throws Exception {
        awaitBothAssigned();
        List<String> runs = runsCoveringPartitions("failover-" + System.nanoTime());
        produce(runs, 0, 1);
        await("first epoch of every run stored").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                .until(() -> runs.stream().allMatch(run -> latestEpoch(a, run) == 0));

        long killed = System.nanoTime();
        b.kill();
        // One epoch per run right after the kill: those on b's partitions wait until a owns them.
        produce(runs, 1, 2);
        await("every run's epoch 1 stored by the surviving replica").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> runs.stream().allMatch(run -> latestEpoch(a, run) == 1));
        Duration stall = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("failover: kill -9 of one of 2 metrics-api replicas (%d partitions) -> every partition's "
                + "event stored by the other after %d ms%n", PARTITIONS, stall.toMillis());
        if (sessionTimeout == null || sessionTimeout.isBlank()) {
            assertTrue(stall.compareTo(FAILOVER_LIMIT) < 0, "failover took " + stall.toMillis() + " ms");
        }
    }

    /** The group must have settled with both replicas holding partitions, or one would store everything. */
    private static void awaitBothAssigned() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()))) {
            await("both replicas in the consumer group with partitions").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("trainwatch-ingest"))
                                .all().get().get("trainwatch-ingest");
                        List<MemberDescription> members = new ArrayList<>(group.members());
                        return members.size() == 2
                                && members.stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
                    });
        }
    }

    private static int latestEpoch(AppProcess app, String run) {
        Http.Reply r = Http.get(app.url("/api/v1/runs/" + run));
        if (r.status() != 200) {
            return -1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"latest_epoch\"\\s*:\\s*(\\d+)").matcher(r.raw());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static List<String> runsCoveringPartitions(String prefix) {
        List<String> runs = new ArrayList<>();
        Set<Integer> covered = new HashSet<>();
        for (int i = 0; runs.size() < RUNS; i++) {
            String id = prefix + "-" + i;
            int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            // The first PARTITIONS runs each on a new partition, the rest anywhere.
            if (covered.size() < PARTITIONS && !covered.add(partition)) {
                continue;
            }
            runs.add(id);
        }
        return runs;
    }

    private static void produce(List<String> runs) throws Exception {
        produce(runs, 0, EPOCHS);
    }

    /** Epochs [from, to) of each run. */
    private static void produce(List<String> runs, int from, int to) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            for (int e = from; e < to; e++) {
                for (String run : runs) {
                    EpochCompleted epoch = EpochCompleted.builder(run, e).optTotalEpochs(EPOCHS)
                            .optTrainLoss(1.0 / (e + 1)).optValLoss(1.1 / (e + 1)).build();
                    ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, run,
                            EventCodec.instance().encode(epoch));
                    CloudEvents.headers(epoch, CloudEvents.newId(), "/e2e/replicas", Instant.now())
                            .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                    producer.send(record);
                }
            }
            producer.flush();
        }
    }

    /** A value from the replica's Prometheus endpoint, summed over its series; 0 when absent. */
    private static double metric(AppProcess app, String name) {
        Http.Reply r = Http.get(app.url("/q/metrics"));
        double sum = 0;
        for (String line : r.raw().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
