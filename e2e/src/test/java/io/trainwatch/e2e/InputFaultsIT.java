package io.trainwatch.e2e;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14's input faults, against the packaged metrics-api: duplicated and reordered events, a fuzz corpus of bad
 * inputs, and an SSE client that never reads. Each scenario ends with {@link FaultLedger#check}. The default run is
 * light (CI); {@code -Dfaults.full=true} runs the full counts (docs/operations.md, "Failure behaviour", has
 * the figures of both). {@code -Dfaults.seed=N} changes the fuzz corpus (default 14).
 */
class InputFaultsIT {

    static final boolean FULL = Boolean.getBoolean("faults.full");
    static final long SEED = Long.getLong("faults.seed", 14L);
    static final Duration SETTLE = Duration.ofSeconds(FULL ? 240 : 120);

    private static TrainwatchSystem system;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() {
        system = TrainwatchSystem.get();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, system.stack.kafkaBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        producer = new KafkaProducer<>(p);
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void duplicatedAndReorderedEventsAreStoredOnceInOrder() throws Exception {
        int epochs = FULL ? 500 : 60;
        int batch = 20;
        String suffix = Long.toString(System.nanoTime());
        try (FaultLedger ledger = FaultLedger.open("duplicates-reordered", system)) {
            // HTTP: the epochs shuffled, in batches, every batch sent twice with the same event_ids (a client retry).
            String httpRun = "faults-dup-http-" + suffix;
            startRunOverHttp(httpRun);
            List<Integer> order = shuffled(epochs, new Random(SEED));
            List<List<Integer>> batches = new ArrayList<>();
            for (int i = 0; i < epochs; i += batch) {
                batches.add(order.subList(i, Math.min(epochs, i + batch)));
            }
            List<List<Integer>> twice = new ArrayList<>(batches);
            List<List<Integer>> reversed = new ArrayList<>(batches);
            Collections.reverse(reversed);
            twice.addAll(reversed);
            for (List<Integer> b : twice) {
                List<Map<String, Object>> body = new ArrayList<>();
                for (int e : b) {
                    Map<String, Object> epoch = epochBody(e);
                    epoch.put("event_id", httpRun + "-e" + e);
                    body.add(epoch);
                }
                postEpochs(ledger, httpRun, body);
            }

            // Kafka: the epochs shuffled, each record sent twice with the same ce_id; run.started in the middle, twice.
            String kafkaRun = "faults-dup-kafka-" + suffix;
            List<Integer> kafkaOrder = shuffled(epochs, new Random(SEED + 1));
            List<Runnable> acks = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < epochs; i++) {
                    if (i == epochs / 2) {
                        sendEvent(new RunStarted(RunStarted.CURRENT_SCHEMA_VERSION, kafkaRun, "duplicates", "faults", null,
                                null, null, null, null, null, null, null, null),
                                kafkaRun + "-started").get();
                    }
                    int e = kafkaOrder.get(round == 0 ? i : epochs - 1 - i);
                    String ceId = kafkaRun + "-e" + e;
                    Future<RecordMetadata> sent = sendEvent(epoch(kafkaRun, e), ceId);
                    acks.add(() -> {
                        acked(sent);
                        ledger.accepted(kafkaRun, e, ceId);
                    });
                }
            }
            producer.flush();
            acks.forEach(Runnable::run);
            ledger.note("sent_twice", 2 * epochs).note("channels", "http+kafka");
            FaultLedger.Result r = ledger.check(SETTLE);
            assertEquals(4 * epochs, r.accepted());
            assertEquals(2 * epochs, r.stored());
        }
    }

    @Test
    void aFuzzCorpusGets4xxProblemsAndDeadLettersAndNeverStallsTheStream() throws Exception {
        int total = FULL ? 12_000 : 2_000;
        int kafkaShare = total * 2 / 5;
        int httpShare = total - kafkaShare;
        String suffix = Long.toString(System.nanoTime());
        String httpRun = "faults-fuzz-http-" + suffix;
        String kafkaRun = "faults-fuzz-kafka-" + suffix;
        FuzzCorpus corpus = new FuzzCorpus(SEED, httpRun);
        Map<String, Integer> httpCounts = new TreeMap<>();
        List<String> httpFailures = new ArrayList<>();
        Map<String, Integer> kafkaCounts = new TreeMap<>();
        Map<String, String> badKeys = new HashMap<>();
        try (FaultLedger ledger = FaultLedger.open("fuzz", system);
             TopicReader dlq = new TopicReader(system.stack.kafkaBootstrapServers(), Topics.RUN_EVENTS_DLQ,
                     k -> k != null && k.startsWith("fuzz-bad-" + SEED + "-"), true)) {
            startRunOverHttp(httpRun);
            long began = System.nanoTime();
            int good = 0;
            for (int i = 0; i < httpShare; i++) {
                FuzzCorpus.HttpCase c = corpus.nextHttp(i);
                Http.Reply r = Http.request(c.method(), system.metricsApi.url(c.path()), c.headers(), c.body());
                httpCounts.merge(c.category() + " " + r.status(), 1, Integer::sum);
                String wrong = problemFault(r);
                if (wrong != null && httpFailures.size() < 20) {
                    httpFailures.add(c.category() + " " + c.method() + " " + abbreviate(c.path()) + " "
                            + abbreviate(c.body() == null ? "" : new String(c.body(), StandardCharsets.UTF_8)) + " → " + wrong);
                }
                if (wrong != null) {
                    httpCounts.merge("WRONG " + c.category(), 1, Integer::sum);
                }
                if ((i + 1) % 100 == 0) {
                    postEpochs(ledger, httpRun, List.of(epochBody(good++)));
                }
            }
            long httpMs = (System.nanoTime() - began) / 1_000_000;

            began = System.nanoTime();
            int goodKafka = 0;
            List<Runnable> acks = new ArrayList<>();
            for (int i = 0; i < kafkaShare; i++) {
                FuzzCorpus.KafkaCase c = corpus.nextKafka(i, SEED);
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, c.key(), c.value());
                c.headers().forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
                kafkaCounts.merge(c.category(), 1, Integer::sum);
                badKeys.put(c.key(), c.category());
                if ((i + 1) % 100 == 0) {
                    int e = goodKafka++;
                    String ceId = kafkaRun + "-e" + e;
                    Future<RecordMetadata> sent = sendEvent(epoch(kafkaRun, e), ceId);
                    acks.add(() -> {
                        acked(sent);
                        ledger.accepted(kafkaRun, e, ceId);
                    });
                }
            }
            producer.flush();
            acks.forEach(Runnable::run);

            // Every bad record dead-lettered once, with its reason.
            AtomicReference<List<TopicReader.Received>> dead = new AtomicReference<>(List.of());
            await("every bad record in the DLQ").atMost(SETTLE).pollInterval(Duration.ofMillis(500)).until(() -> {
                dead.set(dlq.untilCaughtUp(Duration.ofSeconds(30)));
                return dead.get().size() >= kafkaShare;
            });
            long kafkaMs = (System.nanoTime() - began) / 1_000_000;
            Map<String, Integer> reasons = new TreeMap<>();
            Map<String, Integer> perKey = new HashMap<>();
            int withoutReason = 0;
            for (TopicReader.Received r : dead.get()) {
                perKey.merge(r.key(), 1, Integer::sum);
                String reason = r.header("dead-letter-reason");
                if (reason == null || reason.isBlank()) {
                    withoutReason++;
                } else {
                    String field = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : reason;
                    reasons.merge(badKeys.get(r.key()) + " " + abbreviate(field), 1, Integer::sum);
                }
            }
            System.out.println("FUZZ seed=" + SEED + " http=" + httpShare + " in " + httpMs + " ms: " + httpCounts);
            System.out.println("FUZZ kafka=" + kafkaShare + " in " + kafkaMs + " ms: " + kafkaCounts);
            System.out.println("FUZZ dlq reasons (category field): " + reasons);
            ledger.note("bad_http", httpShare).note("bad_kafka", kafkaShare).note("dead_lettered", dead.get().size())
                    .note("http_5xx", httpCounts.entrySet().stream().filter(e -> e.getKey().matches(".* 5\\d\\d"))
                            .mapToInt(Map.Entry::getValue).sum())
                    .note("seed", SEED);
            ledger.check(SETTLE);

            assertTrue(httpFailures.isEmpty(), "HTTP answers that are not a 4xx problem naming the field:\n"
                    + String.join("\n", httpFailures));
            assertEquals(kafkaShare, dead.get().size(), "bad records dead-lettered");
            assertEquals(kafkaShare, perKey.size(), "each bad record dead-lettered once");
            assertEquals(0, withoutReason, "dead letters without a dead-letter-reason header");
        }
    }

    @Test
    void anSseClientThatNeverReadsIsDroppedWithItsMemoryBoundedAndOthersKeepUp() throws Exception {
        // Each epoch ~1 KB of JSON (32 extra metrics), so that the flow outgrows the kernel's socket buffers (up to
        // 4 MiB on the server side here) and the slow client's own buffer.
        int events = FULL ? 20_000 : 8_000;
        int batch = 250;
        int baseline = events / 5;
        String run = "faults-slow-sse-" + System.nanoTime();
        String api = system.metricsApi.url("");
        try (FaultLedger ledger = FaultLedger.open("slow-sse-client", system);
             SseStream normal = new SseStream(URI.create(api + "/api/v1/events?types=epoch"))) {
            startRunOverHttp(run);
            Map<Integer, Long> sentAt = new HashMap<>();
            double droppedBefore = metric("trainwatch_sse_dropped_total");
            // Phase 1 without the slow client: the normal subscriber's latency baseline.
            int next = 0;
            while (next < baseline) {
                next = postBatch(ledger, run, next, batch, sentAt);
            }
            Socket slow = openNeverReadingSubscriber();
            int clientsWithSlow = (int) metric("trainwatch_sse_clients");
            long slowFrom = System.nanoTime();
            AtomicLong maxQueuedBytes = new AtomicLong();
            AtomicLong maxQueuedEvents = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        maxQueuedBytes.accumulateAndGet((long) metric("trainwatch_sse_queued_bytes_max"), Math::max);
                        maxQueuedEvents.accumulateAndGet((long) metric("trainwatch_sse_queued_events_max"), Math::max);
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // a scrape that failed: take the next
                    }
                }
            }, "faults-sampler");
            sampler.setDaemon(true);
            sampler.start();
            // Phase 2 with it.
            while (next < events) {
                next = postBatch(ledger, run, next, batch, sentAt);
            }
            int sent = next;
            await("the slow client dropped").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> metric("trainwatch_sse_dropped_total") > droppedBefore);
            long droppedAfterMs = (System.nanoTime() - slowFrom) / 1_000_000;
            await("every epoch on the normal subscriber").atMost(SETTLE).pollInterval(Duration.ofMillis(200))
                    .until(() -> normal.events().stream().filter(e -> e.runId().equals(run)).count() >= sent);
            sampler.interrupt();
            long keptByKernel = drainUntilClosed(slow);

            List<Long> before = new ArrayList<>();
            List<Long> after = new ArrayList<>();
            for (SseStream.Event e : normal.events()) {
                if (e.runId().equals(run)) {
                    long latency = (e.receivedNanos() - sentAt.get(e.epoch())) / 1_000_000;
                    (e.epoch() < baseline ? before : after).add(latency);
                }
            }
            double dropped = metric("trainwatch_sse_dropped_total") - droppedBefore;
            ledger.note("events", sent).note("slow_dropped", (long) dropped).note("slow_dropped_after_ms", droppedAfterMs)
                    .note("queued_events_max", maxQueuedEvents.get()).note("queued_bytes_max", maxQueuedBytes.get())
                    .note("slow_bytes_received_after_drop", keptByKernel)
                    .note("normal_p50_ms_before", percentile(before, 50)).note("normal_p99_ms_before", percentile(before, 99))
                    .note("normal_p50_ms_with_slow", percentile(after, 50))
                    .note("normal_p99_ms_with_slow", percentile(after, 99)).note("normal_max_ms_with_slow", percentile(after, 100));
            ledger.check(SETTLE);

            assertEquals(1.0, dropped, "the slow client dropped once, counted under reason fell_behind");
            assertTrue(maxQueuedEvents.get() <= 2048, "at most a buffer (2048 events) queued: " + maxQueuedEvents);
            assertTrue(metric("trainwatch_sse_clients") < clientsWithSlow, "the slow client is gone from the clients");
            assertTrue(percentile(after, 99) < 10_000, "the normal subscriber's p99 latency stays bounded: " + after.size());
            List<Integer> epochs = normal.events().stream().filter(e -> e.runId().equals(run)).map(SseStream.Event::epoch).toList();
            assertEquals(sent, epochs.size(), "the normal subscriber got every epoch once, never dropped");
        }
    }

    // --- helpers ---

    /** A raw socket that subscribes to every event of every run and never reads; a small receive window. */
    private static Socket openNeverReadingSubscriber() throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", system.metricsApi.port()), 5000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: "
                + TrainwatchSystem.BEARER + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        await("slow client registered").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> metric("trainwatch_sse_clients") >= 3);
        return s;
    }

    /** Reads what the kernel still held for the dropped client until the server's close; the byte count. */
    private static long drainUntilClosed(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try (s; InputStream in = s.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the slow client's connection was not closed (" + total + " bytes read)", e);
        } catch (IOException e) {
            // reset by the server: closed too
        }
        return total;
    }

    private static int postBatch(FaultLedger ledger, String run, int from, int size, Map<Integer, Long> sentAt) {
        List<Map<String, Object>> body = new ArrayList<>();
        long now = System.nanoTime();
        for (int e = from; e < from + size; e++) {
            Map<String, Object> epoch = epochBody(e);
            Map<String, Double> extra = new TreeMap<>();
            for (int k = 0; k < 32; k++) {
                extra.put("metric_" + k, e + k / 100.0);
            }
            epoch.put("extra", extra);
            body.add(epoch);
            sentAt.put(e, now);
        }
        postEpochs(ledger, run, body);
        return from + size;
    }

    /** POSTs epochs; 202 required; each acknowledged epoch recorded under the ce_id the answer gave it. */
    private static void postEpochs(FaultLedger ledger, String run, List<Map<String, Object>> epochs) {
        Http.Reply r = Http.post(system.metricsApi.url("/api/v1/runs/" + run + "/metrics"), epochs);
        assertEquals(202, r.status(), r.raw());
        for (int i = 0; i < epochs.size(); i++) {
            ledger.accepted(run, (Integer) epochs.get(i).get("epoch"), r.body().path("ce_ids").get(i).asText());
        }
    }

    private static void startRunOverHttp(String run) {
        Http.Reply r = Http.post(system.metricsApi.url("/api/v1/runs"), Map.of("run_id", run, "project", "faults",
                "name", run));
        assertEquals(202, r.status(), r.raw());
    }

    /** Values that depend on the epoch only, so a duplicate is identical (no correction, no new position). */
    private static Map<String, Object> epochBody(int epoch) {
        Map<String, Object> m = new HashMap<>();
        m.put("epoch", epoch);
        m.put("train_loss", 1.0 / (epoch + 1));
        m.put("val_loss", 1.1 / (epoch + 1));
        return m;
    }

    private static EpochCompleted epoch(String run, int epoch) {
        return EpochCompleted.builder(run, epoch).optTrainLoss(1.0 / (epoch + 1)).optValLoss(1.1 / (epoch + 1)).build();
    }

    private static Future<RecordMetadata> sendEvent(TrainwatchEvent event, String ceId) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, event.runId(),
                EventCodec.instance().encode(event));
        CloudEvents.headers(event, ceId, "/e2e/faults", Instant.now())
                .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        return producer.send(record);
    }

    private static void acked(Future<RecordMetadata> sent) {
        try {
            sent.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Kafka did not acknowledge a record", e);
        }
    }

    private static List<Integer> shuffled(int n, Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        return order;
    }

    /** Null when the answer is a 4xx problem+json that names the field at fault (or the run, for a 404); else what is wrong. */
    private static String problemFault(Http.Reply r) {
        if (r.status() < 400 || r.status() >= 500) {
            return "status " + r.status() + ": " + abbreviate(r.raw());
        }
        if (r.contentType() == null || !r.contentType().startsWith("application/problem+json") || r.body() == null) {
            return "not problem+json (" + r.contentType() + "): " + abbreviate(r.raw());
        }
        if (r.status() == 401 || r.status() == 404 || r.status() == 405) {
            return null; // who is asking, or what does not exist: there is no field to name
        }
        for (var e : r.body().path("errors")) {
            if (!e.path("field").asText("").isBlank() && !e.path("message").asText("").isBlank()) {
                return null;
            }
        }
        return "no field named: " + abbreviate(r.raw());
    }

    private static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1 < 0 ? 0
                : (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** A value from metrics-api's Prometheus endpoint, summed over its series; 0 when absent. */
    private static double metric(String name) {
        Http.Reply r = Http.get(system.metricsApi.url("/q/metrics"));
        double sum = 0;
        for (String line : r.raw().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static String abbreviate(String s) {
        String printable = s.replace("\u0000", "\\u0000").replace("\n", " ");
        return printable.length() <= 120 ? printable : printable.substring(0, 120) + "…";
    }
}
