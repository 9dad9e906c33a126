package io.trainwatch.metrics.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import io.trainwatch.metrics.KafkaTestClient;
import io.trainwatch.metrics.TestAuth;
import io.trainwatch.metrics.TestRuns;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.SseClient;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;

/**
 * The budgets of docs/benchmarks.md, measured on the real stack in this JVM (broker, PostgreSQL and the app share the
 * machine, as on the 2-core reference box). Not part of {@code verify}: run with
 * {@code ./mvnw -B -o -pl metrics-api verify -Dtest=MetricsApiBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * (sizes: {@code -Dbench.runs=100 -Dbench.epochs=1000 -Dbench.pollers=100}). Prints lines starting with BENCH and
 * writes them to {@code target/benchmark.txt}.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class MetricsApiBenchmark {

    @Inject
    Pool pool;

    @Inject
    MeterRegistry registry;

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    io.trainwatch.metrics.live.ChangeFeed feed;

    @TestHTTPResource("/")
    URL base;

    final List<String> report = new ArrayList<>();

    @Test
    void budgets() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Integer.getInteger("bench.sse-subscribers", 0) == 0,
                "-Dbench.sse-subscribers runs the fan-out benchmark alone");
        int runs = Integer.getInteger("bench.runs", 100);
        int epochs = Integer.getInteger("bench.epochs", 1000);
        int pollers = Integer.getInteger("bench.pollers", 100);
        int warmUpRuns = Integer.getInteger("bench.warmup-runs", runs);
        if (warmUpRuns > 0) {
            // A sustained rate is measured on a warm JVM. The broker, the Kafka clients, Vert.x, the PostgreSQL
            // client and the app share this JVM, and its one C2 compiler thread takes minutes to compile their hot
            // paths on two cores: draining 100,000-event backlogs one after another, JIT compilation fell from 81 to
            // 5.5 us per event over eight rounds and the rate rose from 15,200 to 38,300 events/s
            // (docs/benchmarks.md). Each round prints its figures, marked WARM-UP, and none is counted.
            for (int round = Integer.getInteger("bench.warmup-rounds", 8); round > 0; round--) {
                ingest(warmUpRuns, epochs, true);
            }
        }
        String firstRun = ingest(runs, epochs, false);
        if (pollers > 0) {
            history(firstRun, pollers, Duration.ofSeconds(Integer.getInteger("bench.poll-seconds", 15)), false);
            history(firstRun, pollers, Duration.ofSeconds(Integer.getInteger("bench.poll-seconds", 15)), true);
            Duration openLoop = Duration.ofSeconds(Integer.getInteger("bench.poll-seconds", 15));
            Duration every = Duration.ofMillis(Integer.getInteger("bench.poll-interval-ms", 100));
            // Whole-history pollers re-read 622 KB whenever the run moved on: once a second, as a dashboard would.
            Duration everyFull = Duration.ofMillis(Integer.getInteger("bench.full-poll-interval-ms", 1000));
            openLoopHistory(firstRun, epochs, pollers, everyFull, openLoop, false);
            openLoopHistory(firstRun, epochs + (int) openLoop.toSeconds() + 2, pollers, every, openLoop, true);
        }
        if (Integer.getInteger("bench.sse-events", 300) > 0) {
            // The live path (one-event batches, the feed, SSE rendering) is not the ingest's: unwarmed, the JIT
            // compilers took 0.28 + 0.11 of the machine during the measured phase (JFR), which is a JVM's first
            // minute, not its steady state. A warm-up phase three times as long comes first.
            sse(Integer.getInteger("bench.sse-warmup-events", 3 * Integer.getInteger("bench.sse-events", 300)), true);
            sse(Integer.getInteger("bench.sse-events", 300), false);
        }
        Files.write(Path.of("target", "benchmark.txt"), report);
    }

    /**
     * SSE at scale (the budget: at least 10,000 subscribers on one instance, none missing an event). Runs only with
     * {@code -Dbench.sse-subscribers=N}: opens N SSE connections from a separate JVM ({@link SseSubscribersClient}),
     * publishes {@code bench.sse-fanout-epochs} epochs (default 20, 5 per second) and requires that every subscriber
     * received every epoch exactly once and in order. Appends its line to {@code target/benchmark.txt}.
     */
    @Test
    void sseSubscribers() throws Exception {
        int n = Integer.getInteger("bench.sse-subscribers", 0);
        org.junit.jupiter.api.Assumptions.assumeTrue(n > 0, "-Dbench.sse-subscribers=N to run");
        int epochs = Integer.getInteger("bench.sse-fanout-epochs", 20);
        String runId = TestRuns.newRunId("bench-fanout");
        String project = "bench-fanout-" + System.nanoTime();
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, project, epochs));
        await().atMost(Duration.ofSeconds(30)).until(() -> runCountOf(runId) == 1);
        int clientsBefore = feed.clientCount();
        long heapBefore = usedHeapAfterGc();
        long rssBefore = rssKb();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-cp", System.getProperty("java.class.path"), SseSubscribersClient.class.getName(),
                base.toURI().resolve("/").toString(), Integer.toString(n), runId, project,
                System.getProperty("bench.sse-types", "")));
        Process client = new ProcessBuilder(command).redirectError(Path.of("target", "sse-subscribers-client.err").toFile())
                .start();
        java.util.concurrent.BlockingQueue<String> out = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    System.out.println("sse-client: " + line);
                    out.add(line);
                }
            } catch (Exception e) {
                // the client exited
            }
        });
        reader.setDaemon(true);
        reader.start();
        java.io.PrintWriter toClient = new java.io.PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
        try {
            String ready = out.poll(6, TimeUnit.MINUTES);
            if (ready == null || !ready.startsWith("READY")) {
                throw new AssertionError("client did not connect: " + ready);
            }
            String[] r = ready.split(" ");
            if (!"0".equals(r[2])) {
                throw new AssertionError(r[2] + " of " + n + " connections failed");
            }
            // READY means every connection has its opening comment; registration with the feed follows it.
            await().atMost(Duration.ofMinutes(2)).until(() -> feed.clientCount() >= clientsBefore + n);
            long heapConnected = usedHeapAfterGc();
            long rssConnected = rssKb();
            Timer fanOut = registry.find("trainwatch.sse.fanout").timer();
            long fanOutsBefore = fanOut == null ? 0 : fanOut.count();
            double fanOutSecondsBefore = fanOut == null ? 0 : fanOut.totalTime(TimeUnit.SECONDS);
            for (int e = 0; e < epochs; e++) {
                toClient.println("SENT " + e + " " + SseSubscribersClient.nowMicros());
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, epochs));
                // Pacing (5 epochs/s), not synchronisation; parked, not spinning: the box has two cores.
                java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
            }
            toClient.println("DONE " + epochs);
            String result = out.poll(3, TimeUnit.MINUTES);
            if (result == null || !result.startsWith("RESULT subscribers")) {
                throw new AssertionError("no result from the client: " + result);
            }
            emit(String.format("BENCH sse fan-out" + (System.getProperty("bench.sse-types", "").isBlank() ? "" : " (types=" + System.getProperty("bench.sse-types") + ")") + ": %s; server fan-out loop %s; server heap after GC %d MB -> %d MB "
                            + "with the subscribers (%.1f KB each), RSS %d MB -> %d MB, %d server threads",
                    result.substring("RESULT ".length()), fanOut == null ? "n/a" : String.format(
                            "%d reads, mean %.1f ms, max %.1f ms", fanOut.count() - fanOutsBefore,
                            (fanOut.totalTime(TimeUnit.SECONDS) - fanOutSecondsBefore) * 1000
                                    / Math.max(1, fanOut.count() - fanOutsBefore), fanOut.max(TimeUnit.MILLISECONDS)),
                    heapBefore >> 20, heapConnected >> 20,
                    (heapConnected - heapBefore) / 1024.0 / n, rssBefore >> 10, rssConnected >> 10,
                    java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount()));
            Files.write(Path.of("target", "benchmark.txt"), report.subList(report.size() - 1, report.size()),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Map<String, String> fields = new java.util.HashMap<>();
            String[] words = result.split(" ");
            for (int i = 1; i + 1 < words.length; i++) {
                fields.put(words[i], words[i + 1]);
            }
            org.junit.jupiter.api.Assertions.assertEquals("0", fields.get("missing"), result);
            org.junit.jupiter.api.Assertions.assertEquals("0", fields.get("duplicates"), result);
            org.junit.jupiter.api.Assertions.assertEquals("0", fields.get("out_of_order"), result);
            org.junit.jupiter.api.Assertions.assertEquals("0", fields.get("closed_or_failed"), result);
        } finally {
            client.destroy();
            client.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            // not Linux
        }
        return -1;
    }

    private String ingest(int runs, int epochs, boolean warmUp) throws Exception {
        long total = (long) runs * epochs;
        long before = count();
        long sizeBefore = size();
        String prefix = (warmUp ? "warmup-" : "bench-") + System.currentTimeMillis();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestClient.bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        // Uncompressed, as trainer-host's publisher and the peer benchmark's producer send: an LZ4 backlog made the
        // consumer decompress (about 5 % of the app's CPU samples) where neither of them would.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        // Encoded before the clock starts: the load generator shares the CPU with the system under test.
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>((int) total);
        for (int e = 0; e < epochs; e++) {
            // Epoch-major order, like many trainers running at once; every event a realistic, fully filled epoch.
            for (int r = 0; r < runs; r++) {
                String runId = prefix + "-" + r;
                EpochCompleted epoch = TestRuns.epoch(runId, e, epochs);
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, runId,
                        EventCodec.instance().encode(epoch));
                CloudEvents.headers(epoch, CloudEvents.newId(), "/bench", Instant.now())
                        .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                records.add(record);
            }
        }
        List<String> timerNames = List.of("trainwatch.ingest.decode", "trainwatch.ingest.store",
                "trainwatch.analysis.batch", "trainwatch.analysis.save");
        Map<String, double[]> timersBefore = new java.util.HashMap<>();
        for (String name : timerNames) {
            Timer t = registry.find(name).timer();
            timersBefore.put(name, t == null ? new double[2] : new double[]{t.count(), t.totalTime(TimeUnit.MILLISECONDS)});
        }
        CpuClock cpu = new CpuClock(LocalStackTestResource.stack().dataDir().resolve("postgres"));
        // The peer (docs/benchmarks.md) drains a backlog produced before its sink starts. Ingest is paused likewise
        // while the backlog is produced, so the clock and the CPU counters see the drain alone, not the load
        // generator that shares this JVM and its two cores.
        // With mp.messaging.incoming.run-events.concurrency=N the channel runs as run-events$1 ... run-events$N.
        List<KafkaConsumer<Object, Object>> consumers = kafkaClients.getConsumerChannels().stream()
                .filter(c -> c.equals("run-events") || c.startsWith("run-events$"))
                .flatMap(c -> kafkaClients.<Object, Object>getConsumers(c).stream()).toList();
        // Pausing pauses the partitions a consumer holds; one that a rebalance hands out later would not be paused.
        int partitions = consumers.get(0).partitionsFor(Topics.RUN_EVENTS).await().atMost(Duration.ofSeconds(30)).size();
        await().atMost(Duration.ofMinutes(1)).until(() -> consumers.stream()
                .mapToInt(c -> c.getAssignments().await().atMost(Duration.ofSeconds(30)).size()).sum() == partitions);
        consumers.forEach(c -> c.pause().await().atMost(Duration.ofSeconds(30)));
        long producing = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            for (ProducerRecord<String, byte[]> record : records) {
                producer.send(record);
            }
            producer.flush();
        }
        long produced = System.nanoTime();
        records.clear();
        long storedWhilePaused = count() - before;
        if (storedWhilePaused != 0) {
            throw new AssertionError(storedWhilePaused + " events were stored while ingest was paused");
        }
        // The app's own counter of committed events: polling count(*) would add PostgreSQL work to the drain.
        double storedEventsBefore = storedEvents();
        long jvmCpuBefore = CpuClock.jvmNanos();
        long pgCpuBefore = cpu.postgresNanos();
        long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        long gcBefore = gcMillis();
        long start = System.nanoTime();
        consumers.forEach(c -> c.resume().await().atMost(Duration.ofSeconds(30)));
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> storedEvents() - storedEventsBefore >= total);
        long stored = System.nanoTime();
        boolean analysis = !"false".equals(System.getProperty("trainwatch.analysis.enabled"));
        if (analysis) {
            // Stored is not done: analysis runs beside the ingest and may trail it by a few batches.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() ->
                    analysedRuns(prefix, epochs - 1) == runs);
        }
        long analysed = System.nanoTime();
        double jvmCpuPerEvent = (CpuClock.jvmNanos() - jvmCpuBefore) / 1e3 / total;
        double pgCpuPerEvent = (cpu.postgresNanos() - pgCpuBefore) / 1e3 / total;
        long jitMillis = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore;
        long gcMillis = gcMillis() - gcBefore;
        if (count() != before + total) {
            throw new AssertionError("epoch_metrics holds " + (count() - before) + " new rows, expected " + total);
        }
        String tag = warmUp ? "WARM-UP" : "BENCH";
        emit(String.format("%s ingest: a finished backlog of %d epoch events (%d runs x %d epochs, produced in %.2f s "
                        + "while ingest was paused) drained in %.2f s = %.0f events/s stored; "
                        + "%.2f s = %.0f events/s stored and analysed (Kafka -> PostgreSQL%s)", tag, total, runs,
                epochs, (produced - producing) / 1e9, (stored - start) / 1e9,
                total / ((stored - start) / 1e9), (analysed - start) / 1e9, total / ((analysed - start) / 1e9),
                analysis ? " with analysis" : ", analysis off"));
        emit(String.format("%s ingest CPU: %.1f us per event (JVM: app + broker %.1f us, of which JIT compilation %.1f "
                        + "and GC pauses %.1f; PostgreSQL %.1f us); 2 cores at this cost would ingest %.0f events/s", tag,
                jvmCpuPerEvent + pgCpuPerEvent, jvmCpuPerEvent, jitMillis * 1e3 / total, gcMillis * 1e3 / total,
                pgCpuPerEvent, 2e6 / (jvmCpuPerEvent + pgCpuPerEvent)));
        StringBuilder timers = new StringBuilder(tag + " ingest timers:");
        for (String name : timerNames) {
            Timer t = registry.find(name).timer();
            if (t != null) {
                double n = t.count() - timersBefore.get(name)[0];
                double ms = t.totalTime(TimeUnit.MILLISECONDS) - timersBefore.get(name)[1];
                timers.append(String.format(" %s %.0f x mean %.1f ms (total %.1f s);", name, n, ms / Math.max(1, n),
                        ms / 1e3));
            }
        }
        emit(timers.toString());
        if (warmUp) {
            return prefix + "-0";
        }
        long sizeAfter = size();
        long[] parts = parts();
        emit(String.format("BENCH storage: %.0f bytes per 100 epochs (epoch_metrics + runs + run_analysis + alerts, "
                        + "tables + indexes, %d-epoch runs); epoch_metrics alone %.0f bytes per 100 epochs; "
                        + "verdict + alerts %.0f bytes per run",
                (sizeAfter - sizeBefore) * 100.0 / total, epochs, parts[0] * 100.0 / Math.max(1, count()),
                parts[1] / (double) Math.max(1, runCount())));
        return prefix + "-0";
    }

    /**
     * {@code conditional}: pollers as agents poll — each keeps the ETag of its last answer and sends
     * {@code If-None-Match} (304 while nothing changed); otherwise every request reads the full history.
     */
    private void history(String runId, int pollers, Duration duration, boolean conditional) throws Exception {
        HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        URI uri = base.toURI().resolve("/api/v1/runs/" + runId + "/metrics");
        // Warm-up: connections, JIT, the rendered-body cache.
        for (int i = 0; i < 200; i++) {
            client.send(HttpRequest.newBuilder(uri).header("Authorization", TestAuth.HEADER).build(), HttpResponse.BodyHandlers.discarding());
        }
        String etag = client.send(HttpRequest.newBuilder(uri).header("Authorization", TestAuth.HEADER).build(), HttpResponse.BodyHandlers.discarding())
                .headers().firstValue("ETag").orElseThrow();
        // A measurement window, not synchronisation: the server-side percentiles (20 s window) must forget the
        // previous measurement before this one starts.
        Thread.sleep(conditional ? 21_000 : 0);
        String status = conditional ? "304" : "200";
        Timer serverBefore = registry.find("http.server.requests").tag("uri", "/api/v1/runs/{id}/metrics")
                .tag("status", status).timer();
        long countBefore = serverBefore == null ? 0 : serverBefore.count();
        List<Long> latencies = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(pollers);
        long end = System.nanoTime() + duration.toNanos();
        long bytes = 0;
        for (int i = 0; i < pollers; i++) {
            pool.submit(() -> {
                List<Long> mine = new ArrayList<>();
                while (System.nanoTime() < end) {
                    long t = System.nanoTime();
                    try {
                        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Authorization", TestAuth.HEADER);
                        if (conditional) {
                            request.header("If-None-Match", etag);
                        }
                        HttpResponse<byte[]> r = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() != (conditional ? 304 : 200)) {
                            throw new IllegalStateException("status " + r.statusCode());
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    mine.add(System.nanoTime() - t);
                }
                latencies.addAll(mine);
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(duration.toSeconds() + 60, TimeUnit.SECONDS);
        HttpResponse<byte[]> sample = client.send(HttpRequest.newBuilder(uri).header("Authorization", TestAuth.HEADER).build(), HttpResponse.BodyHandlers.ofByteArray());
        bytes = sample.body().length;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        Timer server = registry.find("http.server.requests").tag("uri", "/api/v1/runs/{id}/metrics")
                .tag("status", status).timer();
        String serverPart = "n/a";
        if (server != null) {
            Map<Double, Double> pct = new java.util.HashMap<>();
            for (ValueAtPercentile v : server.takeSnapshot().percentileValues()) {
                pct.put(v.percentile(), v.value(TimeUnit.MILLISECONDS));
            }
            serverPart = String.format("server p50 %.2f ms, p99 %.2f ms (%d requests)", pct.getOrDefault(0.5, -1.0),
                    pct.getOrDefault(0.99, -1.0), server.count() - countBefore);
        }
        emit(String.format("BENCH history%s: 1,000-epoch run (%d bytes JSON), %d concurrent pollers for %d s: %s; "
                        + "client-observed p50 %.2f ms, p99 %.2f ms, %.0f requests/s",
                conditional ? " (If-None-Match, 304)" : " (full body)", bytes, pollers, duration.toSeconds(),
                serverPart, pct(sorted, 0.5), pct(sorted, 0.99), sorted.length / (double) duration.toSeconds()));
    }

    /**
     * Pollers as agents poll in practice: each of {@code pollers} sends a request every {@code every} (open loop: on
     * schedule, whether or not its previous answer came back; latency counted from the scheduled time, so a slow
     * server cannot hide its queueing), with {@code If-None-Match} of its last answer, while the run grows by one epoch
     * per second. {@code incremental}: each asks only for {@code since_epoch=<last epoch it has>}; otherwise the full
     * history (a 200 with the whole body once per new epoch, 304 in between).
     */
    private void openLoopHistory(String runId, int firstNewEpoch, int pollers, Duration every, Duration duration,
                                 boolean incremental) throws Exception {
        // A measurement window, not synchronisation: the server-side percentiles (20 s window) must forget the
        // previous phase.
        Thread.sleep(21_000);
        URI base = this.base.toURI().resolve("/api/v1/runs/" + runId + "/metrics");
        // HTTP/1.1 as agents' pollers use it (the JDK client would otherwise try an h2c upgrade).
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).build();
        Map<String, Long> failureKinds = new ConcurrentHashMap<>();
        String firstEtag = client.send(HttpRequest.newBuilder(base).header("Authorization", TestAuth.HEADER).build(), HttpResponse.BodyHandlers.discarding())
                .headers().firstValue("ETag").orElseThrow();
        int lastStored = firstNewEpoch - 1;
        Timer ok0 = serverTimer("200");
        Timer nm0 = serverTimer("304");
        long okBefore = ok0 == null ? 0 : ok0.count();
        long nmBefore = nm0 == null ? 0 : nm0.count();
        List<Long> latencies = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicLong okCount = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong notModified = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong bodyBytes = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong skipped = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.ScheduledExecutorService ticks = Executors.newScheduledThreadPool(2);
        long start = System.nanoTime() + 50_000_000L;
        long end = start + duration.toNanos();
        long period = every.toNanos();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(pollers);
        for (int i = 0; i < pollers; i++) {
            long offset = period * i / pollers;
            String[] etag = {firstEtag};
            int[] last = {lastStored};
            java.util.concurrent.atomic.AtomicLong tick = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
            Runnable poll = new Runnable() {
                @Override
                public void run() {
                    long intended = start + offset + tick.getAndIncrement() * period;
                    if (intended >= end) {
                        finished.countDown();
                        throw new java.util.concurrent.CancellationException("phase over");
                    }
                    if (inFlight.get() > 0) {
                        // A poller is a loop: it does not ask again while its previous answer is still arriving.
                        skipped.incrementAndGet();
                        return;
                    }
                    URI uri;
                    String ifNoneMatch;
                    synchronized (etag) {
                        uri = incremental ? URI.create(base + "?since_epoch=" + last[0]) : base;
                        ifNoneMatch = etag[0];
                    }
                    inFlight.incrementAndGet();
                    client.sendAsync(HttpRequest.newBuilder(uri).header("Authorization", TestAuth.HEADER).header("If-None-Match", ifNoneMatch).build(),
                            HttpResponse.BodyHandlers.ofByteArray()).whenComplete((r, f) -> {
                                latencies.add(System.nanoTime() - intended);
                                inFlight.decrementAndGet();
                                if (f != null) {
                                    failures.incrementAndGet();
                                    Throwable cause = f instanceof java.util.concurrent.CompletionException && f.getCause() != null
                                            ? f.getCause() : f;
                                    failureKinds.merge(cause.toString(), 1L, Long::sum);
                                } else if (r.statusCode() == 304) {
                                    notModified.incrementAndGet();
                                } else if (r.statusCode() == 200) {
                                    okCount.incrementAndGet();
                                    bodyBytes.addAndGet(r.body().length);
                                    synchronized (etag) {
                                        etag[0] = r.headers().firstValue("ETag").orElse(etag[0]);
                                        if (incremental) {
                                            last[0] = Math.max(last[0], lastEpochOf(r.body(), last[0]));
                                        }
                                    }
                                } else {
                                    failures.incrementAndGet();
                                    failureKinds.merge("status " + r.statusCode(), 1L, Long::sum);
                                }
                            });
                }
            };
            ticks.scheduleAtFixedRate(poll, Math.max(0, start + offset - System.nanoTime()), period, TimeUnit.NANOSECONDS);
        }
        // The run grows by one epoch per second while it is polled, as a live training run does.
        int next = firstNewEpoch;
        while (System.nanoTime() < end) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, next++, firstNewEpoch + 10_000));
            long wake = Math.min(end, System.nanoTime() + 1_000_000_000L);
            while (System.nanoTime() < wake) {
                Thread.sleep(Math.max(1, (wake - System.nanoTime()) / 1_000_000));
            }
        }
        finished.await(30, TimeUnit.SECONDS);
        ticks.shutdownNow();
        await().atMost(Duration.ofSeconds(30)).until(() -> latencies.size() >= okCount.get() + notModified.get()
                + failures.get() && okCount.get() + notModified.get() + failures.get() > 0);
        Thread.sleep(200);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        long total = sorted.length;
        emit(String.format("BENCH history open loop (%s, If-None-Match): %d pollers each every %d ms (%.0f requests/s "
                        + "offered) for %d s while the run grows by 1 epoch/s (%d new epochs): %d answers (%d x 200, "
                        + "%d x 304, %d failed; %d ticks skipped while the previous answer was still arriving), %.0f body "
                        + "bytes/s; server 304 %s; server 200 %s; client-observed "
                        + "(from the scheduled time) p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                incremental ? "incremental since_epoch" : "full history", pollers, every.toMillis(),
                pollers * 1e9 / period, duration.toSeconds(), next - firstNewEpoch, total, okCount.get(),
                notModified.get(), failures.get(), skipped.get(), bodyBytes.get() / (double) duration.toSeconds(),
                serverPercentiles("304", nmBefore), serverPercentiles("200", okBefore), pct(sorted, 0.5),
                pct(sorted, 0.99), total == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6));
        if (!failureKinds.isEmpty()) {
            emit("BENCH history open loop failures: " + failureKinds);
        }
    }

    private static int lastEpochOf(byte[] body, int fallback) {
        String text = new String(body, StandardCharsets.UTF_8);
        int at = text.lastIndexOf("{\"epoch\":");
        if (at < 0) {
            return fallback;
        }
        String rest = text.substring(at + 9);
        return Integer.parseInt(rest.substring(0, rest.indexOf(',') > 0 ? rest.indexOf(',') : rest.indexOf('}')).trim());
    }

    private Timer serverTimer(String status) {
        return registry.find("http.server.requests").tag("uri", "/api/v1/runs/{id}/metrics").tag("status", status).timer();
    }

    private String serverPercentiles(String status, long countBefore) {
        Timer server = serverTimer(status);
        if (server == null) {
            return "n/a";
        }
        Map<Double, Double> pct = new java.util.HashMap<>();
        for (ValueAtPercentile v : server.takeSnapshot().percentileValues()) {
            pct.put(v.percentile(), v.value(TimeUnit.MILLISECONDS));
        }
        return String.format("p50 %.2f ms, p99 %.2f ms (%d requests)", pct.getOrDefault(0.5, -1.0),
                pct.getOrDefault(0.99, -1.0), server.count() - countBefore);
    }

    private void sse(int events, boolean warmUp) throws Exception {
        String runId = TestRuns.newRunId("bench-sse");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "bench", events));
        await().atMost(Duration.ofSeconds(30)).until(() -> runCountOf(runId) == 1);
        Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
        Map<Integer, Long> receivedAt = new ConcurrentHashMap<>();
        // The JIT shares the two cores: its time during the phase is printed with the figure.
        java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jitBefore = jit.getTotalCompilationTime();
        java.util.concurrent.CountDownLatch live = new java.util.concurrent.CountDownLatch(1);
        try (SseClient sse = SseClient.to(base.toURI().resolve("/api/v1/runs/" + runId + "/events"))
                .authorization(TestAuth.HEADER)
                .onEvent(e -> {
                    if ("status".equals(e.type())) {
                        live.countDown();
                    }
                    if ("epoch".equals(e.type())) {
                        receivedAt.putIfAbsent(e.json().path("epoch").asInt(), e.receivedNanos());
                    }
                }).openOk()) {
            // A fresh stream is live from its first event, the run's status (sent once the feed holds the client);
            // the 200 may come before that, and an epoch published in between is history to this stream. One such
            // epoch 0 went missing in two runs before the benchmark waited for it.
            await().atMost(Duration.ofSeconds(30)).until(() -> live.getCount() == 0);
            for (int e = 0; e < events; e++) {
                // ~50 epochs/s: many runs' worth of live updates, spread so that each one is measured on its own.
                sentAt.put(e, System.nanoTime());
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, events));
                // Parked, not spinning: a spinning load generator would take one of the two cores from the system.
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> receivedAt.size() >= events);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                var stored = pool.preparedQuery("SELECT count(*), max(e.epoch) FROM epoch_metrics e JOIN runs r USING (run_key) "
                        + "WHERE r.id = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of(runId)).await().indefinitely()
                        .iterator().next();
                List<Integer> missing = new ArrayList<>();
                for (int i = 0; i < events && missing.size() < 20; i++) {
                    if (!receivedAt.containsKey(i)) {
                        missing.add(i);
                    }
                }
                throw new AssertionError("SSE client got " + receivedAt.size() + " of " + events + " epochs in 60 s; "
                        + "stored: " + stored.getLong(0) + " (max epoch " + stored.getInteger(1) + "); first missing: "
                        + missing + "; clients on the feed: " + feed.clientCount(), e);
            }
        }
        long[] lat = new long[events];
        for (int e = 0; e < events; e++) {
            lat[e] = receivedAt.get(e) - sentAt.get(e);
        }
        Arrays.sort(lat);
        emit(String.format((warmUp ? "WARM-UP" : "BENCH") + " sse: publish (Kafka ack) -> SSE client, %d epochs at ~50/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
                        + " (JIT compilation during the phase: %d ms)", events, pct(lat, 0.5), pct(lat, 0.99),
                lat[lat.length - 1] / 1e6, jit.getTotalCompilationTime() - jitBefore));
    }

    private static double pct(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(p * sortedNanos.length) - 1);
        return sortedNanos[Math.max(0, i)] / 1e6;
    }

    private void emit(String line) {
        System.out.println(line);
        report.add(line);
    }

    private long count() {
        return pool.query("SELECT count(*) FROM epoch_metrics").execute().await().indefinitely().iterator().next().getLong(0);
    }

    /** Wall time of GC pauses so far (collector threads may run on both cores meanwhile). */
    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
    }

    private double storedEvents() {
        return registry.get("trainwatch.ingest.events").counter().count();
    }

    private long runCount() {
        return pool.query("SELECT count(*) FROM run_analysis").execute().await().indefinitely().iterator().next().getLong(0);
    }

    private long runCountOf(String runId) {
        return pool.preparedQuery("SELECT count(*) FROM runs WHERE id = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of(runId))
                .await().indefinitely().iterator().next().getLong(0);
    }

    /** Runs of the benchmark batch {@code prefix} whose verdict covers {@code epoch}. */
    private long analysedRuns(String prefix, int epoch) {
        return pool.preparedQuery("SELECT count(*) FROM run_analysis a JOIN runs r USING (run_key) "
                        + "WHERE r.id LIKE $1 AND a.epoch = $2")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(prefix + "-%", epoch)).await().indefinitely()
                .iterator().next().getLong(0);
    }

    private long size() {
        return pool.query("SELECT pg_total_relation_size('epoch_metrics') + pg_total_relation_size('runs') "
                + "+ pg_total_relation_size('run_analysis') + pg_total_relation_size('alerts')")
                .execute().await().indefinitely().iterator().next().getLong(0);
    }

    private long[] parts() {
        var r = pool.query("SELECT pg_total_relation_size('epoch_metrics'), "
                        + "pg_total_relation_size('run_analysis') + pg_total_relation_size('alerts')")
                .execute().await().indefinitely().iterator().next();
        return new long[] {r.getLong(0), r.getLong(1)};
    }
}
