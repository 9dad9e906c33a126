package io.trainwatch.trainer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.stack.LocalStack;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.datasets.TrainValData;
import io.trainwatch.trainer.messaging.DurablePublisher;
import io.trainwatch.trainer.messaging.EventSpool;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import io.trainwatch.trainer.training.CancelSignal;
import io.trainwatch.trainer.training.RunEventSink;
import io.trainwatch.trainer.training.TrainingRun;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Trains the same job with publishing off, on (real Kafka from the local stack), and on with Kafka unreachable, in
 * interleaved rounds so that machine drift hits every mode alike, and prints the median epoch time of each and the
 * ratios (minimum and median epoch time: on a shared machine the minimum is the estimator least hurt by other load),
 * plus the time the training thread spends inside {@code publish()} — the only place publishing can block it.
 * Budget (DESIGN.md): ≤ 1 % overhead.
 *
 * <pre>./mvnw -B -o -pl trainer-host test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.trainwatch.trainer.bench.PublishingOverheadBenchmark [-Dbench.rounds=5 -Dbench.epochs=8]</pre>
 */
public final class PublishingOverheadBenchmark {

    private static final String JOB = """
            {"name": "bench", "model": {"type": "mlp", "hidden": [64, 64]},
             "dataset": {"type": "spirals", "train_size": %d, "val_size": 2000, "noise": 0.2},
             "epochs": %d, "batch_size": 64, "optimizer": {"type": "adam", "learning_rate": 0.003},
             "step_sample_every": %d, "seed": 1}
            """;

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        int rounds = Integer.getInteger("bench.rounds", 7);
        int epochs = Integer.getInteger("bench.epochs", 6);
        // Defaults are harsh on purpose (short epochs, a step sample every 5 steps: ~26 events an epoch);
        // -Dbench.train-size=32000 -Dbench.sample-every=50 is closer to a real run.
        int trainSize = Integer.getInteger("bench.train-size", 8000);
        int sampleEvery = Integer.getInteger("bench.sample-every", 5);
        JobSpec spec = JobSpecParser.parse(new ObjectMapper().readTree(JOB.formatted(trainSize, epochs, sampleEvery)));
        System.out.printf("train_size %d, step_sample_every %d, %d epochs, %d rounds%n", trainSize, sampleEvery, epochs, rounds);
        TrainValData data = Datasets.load(spec.dataset());

        Path tmp = Files.createTempDirectory("trainwatch-bench");
        // -Dbench.kafka=HOST:PORT: a broker in its own process (e.g. the local stack started by ./run or
        // LocalStackMain), as in a deployment; without it, a broker inside this JVM shares its heap and GC pauses.
        String externalKafka = System.getProperty("bench.kafka");
        LocalStack.Builder stackBuilder = LocalStack.builder();
        if (externalKafka != null) {
            stackBuilder.optExternalKafka(externalKafka);
        }
        System.out.println("broker: " + (externalKafka == null ? "in this JVM" : "external, " + externalKafka));
        try (LocalStack stack = stackBuilder.build().start()) {
            String deadKafka;
            try (ServerSocket s = new ServerSocket(0)) {
                deadKafka = "127.0.0.1:" + s.getLocalPort();
            }
            Map<String, List<Long>> epochMillis = new LinkedHashMap<>();
            Map<String, long[]> published = new LinkedHashMap<>();
            Map<String, long[]> publishCost = new LinkedHashMap<>(); // {nanos inside publish(), calls}
            // one warm-up run: JIT, native library, allocator
            run(spec, data, event -> { }, new long[2]);
            for (int r = 0; r < rounds; r++) {
                for (String mode : List.of("off", "on", "kafka-down")) {
                    List<Long> times = epochMillis.computeIfAbsent(mode, k -> new ArrayList<>());
                    long[] cost = publishCost.computeIfAbsent(mode, k -> new long[2]);
                    if (mode.equals("off")) {
                        times.addAll(run(spec, data, event -> { }, cost));
                        continue;
                    }
                    DurablePublisher publisher = new DurablePublisher(
                            new EventSpool(tmp.resolve("spool-" + mode + "-" + r), 256L << 20, 16L << 20),
                            DurablePublisher.kafkaProducers(DurablePublisher.producerConfig(
                                    mode.equals("on") ? stack.kafkaBootstrapServers() : deadKafka,
                                    "bench-" + UUID.randomUUID(), Duration.ofSeconds(30), Duration.ofSeconds(120))),
                            "/trainwatch/bench", 100_000, Duration.ofSeconds(1));
                    if (mode.equals("on")) {
                        warmUp(publisher); // connection, metadata and producer id before the clock starts, as in a host
                    }
                    times.addAll(run(spec, data, publisher, cost));
                    long[] counts = published.computeIfAbsent(mode, k -> new long[3]);
                    counts[0] += publisher.spool().pendingEvents() + publisher.sent();
                    counts[1] += publisher.sent();
                    counts[2] += publisher.dropped();
                    publisher.close(Duration.ZERO);
                }
                System.out.printf("round %d/%d done%n", r + 1, rounds);
            }
            double off = median(epochMillis.get("off"));
            double offMin = epochMillis.get("off").stream().mapToLong(Long::longValue).min().orElse(1);
            System.out.println();
            System.out.printf("%-11s %7s %9s %9s %12s %12s %16s %14s%n", "mode", "epochs", "min", "median",
                    "min vs off", "median vs off", "publish() mean", "publish/epoch");
            for (Map.Entry<String, List<Long>> e : epochMillis.entrySet()) {
                double med = median(e.getValue());
                double min = e.getValue().stream().mapToLong(Long::longValue).min().orElse(0);
                long[] c = publishCost.get(e.getKey());
                double perCallMicros = c[1] == 0 ? 0 : c[0] / 1e3 / c[1];
                double perEpochShare = c[0] / 1e6 / e.getValue().size() / med * 100;
                System.out.printf("%-11s %7d %7.0fms %7.0fms %+11.2f%% %+12.2f%% %13.2fµs %13.4f%%%n", e.getKey(), e.getValue().size(),
                        min, med, (min / offMin - 1) * 100, (med / off - 1) * 100, perCallMicros, perEpochShare);
            }
            System.out.printf("load average while measuring: %s%n", java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
            published.forEach((mode, c) -> System.out.printf("%s: %d events spooled, %d acknowledged by Kafka while training, %d dropped%n",
                    mode, c[0], c[1], c[2]));
        }
        System.exit(0); // the broker's and producers' daemon threads would make exec:java complain
    }

    /** Sends one event and waits for its acknowledgement, so the producer is connected when training starts. */
    private static void warmUp(DurablePublisher publisher) throws InterruptedException {
        long before = publisher.sent();
        publisher.publish(io.trainwatch.contracts.RunStarted.of("run-bench-warm-up"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (publisher.sent() == before && System.nanoTime() < deadline) {
            Thread.sleep(10); // a benchmark's setup step, not a test's synchronisation
        }
    }

    /** Trains once; returns each epoch's duration_ms as the metrics listener measured it. */
    private static List<Long> run(JobSpec spec, TrainValData data, RunEventSink sink, long[] cost) {
        List<Long> times = new ArrayList<>();
        RunEventSink measuring = event -> {
            if (event instanceof EpochCompleted ec) {
                times.add(ec.durationMs());
            }
            long t0 = System.nanoTime();
            sink.publish(event);
            cost[0] += System.nanoTime() - t0;
            cost[1]++;
        };
        new TrainingRun("run-bench-" + UUID.randomUUID(), spec, data, measuring, new CancelSignal(), 0, "bench").run();
        return times;
    }

    private static double median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
}
