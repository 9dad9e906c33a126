package io.trainwatch.trainer.bench;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.stack.LocalStack;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.datasets.TrainValData;
import io.trainwatch.trainer.messaging.DurablePublisher;
import io.trainwatch.trainer.messaging.EventSpool;
import io.trainwatch.trainer.messaging.KafkaSettings;
import io.trainwatch.trainer.messaging.SpoolSender;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import io.trainwatch.trainer.training.CancelSignal;
import io.trainwatch.trainer.training.RunEventSink;
import io.trainwatch.trainer.training.TrainingRun;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import io.trainwatch.trainer.messaging.UnreachableKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Does publishing cost the trainer more than 1 % (the budget in docs/benchmarks.md), with Kafka up and with Kafka down? Two measurements,
 * from the same runs:
 *
 * <ol>
 *   <li><b>CPU accounting</b> (robust to other load on the machine): per run, the CPU time of every publishing thread
 *       of this JVM (the spool writer, the sender, the Kafka producer's network thread(s), found by name through
 *       {@link ThreadMXBean}, followed until the run's events are spooled — and sent, with Kafka up) plus the time the
 *       training thread spent inside {@code publish()}, against the CPU time the training consumed: the process's CPU
 *       time over the training (which includes PyTorch's native intra-op threads and the JIT/GC) minus every Java
 *       thread other than the training thread, minus the time inside {@code publish()}. On a machine whose cores the
 *       training keeps busy, that share is what publishing can take from training.</li>
 *   <li><b>Wall clock with a confidence interval</b>: rounds of one short run per mode (off, on, kafka-down) in a
 *       rotating order (all six orders in turn, so no mode always follows another); per round, the paired ratios
 *       on/off and down/off of the runs' median epoch times; then the median of the ratios over the rounds and a
 *       percentile-bootstrap 95 % confidence interval (fixed seed). "≤ 1 % demonstrated" needs the interval's upper
 *       bound ≤ +1 %.</li>
 * </ol>
 *
 * Epoch times here are the intervals between the events the training thread emits (run.started, then each
 * epoch.completed), by {@link System#nanoTime()}: the whole epoch including validation and the listener's work.
 * See docs/trainer-host.md § Benchmark for the commands, the pinned (one core for the trainer, one for the broker)
 * variant and how to read the output.
 */
public final class PublishingOverheadBenchmark {

    private static final String JOB = """
            {"name": "bench", "model": {"type": "mlp", "hidden": [64, 64]},
             "dataset": {"type": "spirals", "train_size": %d, "val_size": 2000, "noise": 0.2},
             "epochs": %d, "batch_size": 64, "optimizer": {"type": "adam", "learning_rate": 0.003},
             "step_sample_every": %d, "seed": 1}
            """;
    private static final List<String> MODES = List.of("off", "on", "kafka-down");
    /** The publisher's threads, by name prefix (DurablePublisher's two, and KafkaProducer's network thread). */
    private static final List<String> PUBLISHER_THREADS =
            List.of("trainwatch-spool-writer", "trainwatch-kafka-sender", "kafka-producer-network-thread");
    private static final String SAMPLER_THREAD = "bench-cpu-sampler";

    /** One training run's figures. */
    private record Run(String mode, int round, List<Double> epochMillis, long processCpuNs, long trainingCpuNs,
                       long publisherThreadsNs, Map<String, Long> publisherByThread, long publishCallNs, long publishCalls,
                       long otherJavaNs, Map<String, Long> otherByThread, long gcCount, long gcMillis, long jitMillis) {
        double medianEpoch() {
            return median(epochMillis);
        }

        long publishingCpuNs() {
            return publisherThreadsNs + publishCallNs;
        }
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        // Defaults: the run docs/benchmarks.md reports (~13 min pinned on 2 cores). 32,000 samples and a step sample
        // every 50 steps: ~280 ms epochs with ≈ 11 events each, close to a real run; -Dbench.train-size=8000
        // -Dbench.sample-every=5 is a harsh one (~80 ms epochs, ≈ 26 events each). 48 rounds of 8 epochs: the
        // wall-clock intervals get below ±1 % only with that many on this machine. 10 warm-up rounds: the JIT still
        // compiles 100–500 ms a run in the first ~10 rounds, and that lands on the training's core.
        int rounds = Integer.getInteger("bench.rounds", 48);
        int epochs = Integer.getInteger("bench.epochs", 8);
        int trainSize = Integer.getInteger("bench.train-size", 32_000);
        int sampleEvery = Integer.getInteger("bench.sample-every", 50);
        int resamples = Integer.getInteger("bench.bootstrap", 10_000);
        long seed = Long.getLong("bench.seed", 20261124L);
        double budgetPercent = Double.parseDouble(System.getProperty("bench.budget-percent", "1.0"));
        String externalKafka = System.getProperty("bench.kafka");
        int warmUpRounds = Integer.getInteger("bench.warm-up-rounds", 10);
        // An outage some seconds old: the producer's connection back-off has grown to its cap (5 s).
        long downSettleMillis = Long.getLong("bench.down-settle-ms", 12_000);
        // A trainer host publishes for days: its publishing code is JIT-compiled after its first few thousand events.
        // Short benchmark runs alone would measure mostly interpreted code; 0 measures the cold path.
        int publisherWarmUpEvents = Integer.getInteger("bench.publisher-warm-up-events", 20_000);

        String loadAtStart = loadAverage();
        JobSpec spec = JobSpecParser.parse(new ObjectMapper().readTree(JOB.formatted(trainSize, epochs, sampleEvery)));
        TrainValData data = Datasets.load(spec.dataset());
        Engine.getInstance(); // loads PyTorch, which reads ai.djl.pytorch.num_threads / num_interop_threads now
        printSettings(loadAtStart, trainSize, sampleEvery, epochs, rounds, warmUpRounds, downSettleMillis, externalKafka);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM cannot measure thread CPU time");
        }
        threads.setThreadCpuTimeEnabled(true);
        Path tmp = Files.createTempDirectory("trainwatch-bench");
        LocalStack.Builder stackBuilder = LocalStack.builder();
        if (externalKafka != null) {
            stackBuilder.optExternalKafka(externalKafka);
        }
        List<Run> runs = new ArrayList<>();
        Map<String, ModePublisher> publishers = new HashMap<>();
        try (LocalStack stack = stackBuilder.build().start(); CpuTracker cpu = new CpuTracker(threads)) {
            String deadKafka = UnreachableKafka.address();
            if (publisherWarmUpEvents > 0) {
                warmUpPublishingPath(stack.kafkaBootstrapServers(), tmp, publisherWarmUpEvents);
            }
            // -Dbench.long-lived=true (default): one publisher per mode for the whole benchmark, as a host keeps one
            // for its lifetime; false: a fresh publisher per run (its construction keeps the JIT busy on the
            // training's core during the run).
            boolean longLived = Boolean.parseBoolean(System.getProperty("bench.long-lived", "true"));
            System.out.println("publishers: " + (longLived ? "one per mode, kept across rounds (as in a host)" : "a fresh one per run"));
            List<List<String>> orders = permutations(MODES);
            // Rounds ≤ 0 warm up every mode (JIT, native allocator, producer classes) and are not counted.
            for (int r = 1 - warmUpRounds; r <= rounds; r++) {
                List<String> order = orders.get(Math.floorMod(r - 1, orders.size()));
                List<Run> round = new ArrayList<>();
                for (String mode : order) {
                    String bootstrap = mode.equals("on") ? stack.kafkaBootstrapServers() : deadKafka;
                    round.add(runOnce(mode, r, spec, data, bootstrap, tmp, cpu, downSettleMillis, publishers,
                            longLived));
                }
                if (r > 0) {
                    runs.addAll(round);
                }
                System.out.printf("%s %d/%d, median epoch (publishing CPU share): %s; load %s%n",
                        r <= 0 ? "warm-up round" : "round", r, rounds, round.stream()
                                .map(x -> "%s %.1f ms (%.2f %%, JIT %d ms)".formatted(x.mode(), x.medianEpoch(),
                                        100.0 * x.publishingCpuNs() / x.trainingCpuNs(), x.jitMillis()))
                                .collect(Collectors.joining(", ")), loadAverage().split(" ", 4)[0]);
            }
        }
        report(runs, rounds, resamples, seed, budgetPercent, loadAtStart);
        publishers.values().forEach(mp -> mp.publisher().close(Duration.ZERO));
        try (var files = Files.walk(tmp)) { // the runs' spools
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        System.exit(0); // the broker's and producers' daemon threads would make exec:java complain
    }

    /** A mode's publisher and the ids of its threads (writer, sender, producer network thread). */
    private record ModePublisher(DurablePublisher publisher, java.util.Set<Long> threadIds, String clientId) {

        /**
         * Its writer and sender (by id), and the network thread of any producer it has made (by client id in the
         * name: a producer replaced after a failure has a new thread, which must not be charged to another mode).
         */
        boolean owns(long threadId, String threadName) {
            return threadIds.contains(threadId) || threadName.endsWith("| " + clientId);
        }
    }

    private static java.util.Set<Long> liveThreadIds() {
        java.util.Set<Long> ids = new java.util.HashSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> ids.add(t.getId()));
        return ids;
    }

    /** Trains once in the given mode, with the mode's publisher (kept, or a fresh one). */
    private static Run runOnce(String mode, int round, JobSpec spec, TrainValData data, String bootstrap, Path tmp,
                               CpuTracker cpu, long downSettleMillis, Map<String, ModePublisher> publishers,
                               boolean longLived) throws InterruptedException {
        ModePublisher mine = longLived ? publishers.get(mode) : null;
        if (!mode.equals("off") && mine == null) {
            java.util.Set<Long> before = liveThreadIds();
            String clientId = "bench-" + UUID.randomUUID();
            DurablePublisher created = newPublisher(mode, round, bootstrap, clientId, tmp, downSettleMillis);
            java.util.Set<Long> ids = liveThreadIds();
            ids.removeAll(before);
            mine = new ModePublisher(created, ids, clientId);
            if (longLived) {
                publishers.put(mode, mine);
            }
        }
        DurablePublisher publisher = mine == null ? null : mine.publisher();
        Run run = measure(mode, round, spec, data, cpu, mine);
        if (!longLived && publisher != null) {
            publisher.close(Duration.ZERO);
        }
        return run;
    }

    private static DurablePublisher newPublisher(String mode, int round, String bootstrap, String clientId, Path tmp,
                                                 long downSettleMillis) throws InterruptedException {
        DurablePublisher publisher;
        {
            publisher = new DurablePublisher(
                    new EventSpool(tmp.resolve("spool-" + mode + "-" + round), 256L << 20, 16L << 20),
                    SpoolSender.kafkaProducers(SpoolSender.producerConfig(KafkaSettings.bootstrap(bootstrap),
                            clientId, Duration.ofSeconds(30), Duration.ofSeconds(120))),
                    "/trainwatch/bench", 100_000, Duration.ofSeconds(1));
            if (mode.equals("on")) {
                warmUp(publisher); // connection, metadata and producer id before the clock starts, as in a host
            } else {
                settleDown(publisher, clientId, downSettleMillis);
            }
        }
        return publisher;
    }

    /**
     * Trains once, publishing through {@code mine} (null: off), with the CPU accounting around it. Threads of another
     * mode's idle publisher are neither training nor this mode's publishing.
     */
    private static Run measure(String mode, int round, JobSpec spec, TrainValData data, CpuTracker cpu,
                               ModePublisher mine) throws InterruptedException {
        DurablePublisher publisher = mine == null ? null : mine.publisher();
        RunEventSink sink = publisher == null ? event -> { } : publisher;
        List<Long> boundaries = new ArrayList<>();
        long[] publishCall = new long[2]; // {nanos inside publish(), calls}
        RunEventSink target = sink;
        RunEventSink measuring = event -> {
            if (event instanceof RunStarted || event instanceof EpochCompleted) {
                boundaries.add(System.nanoTime());
            }
            long t0 = System.nanoTime();
            target.publish(event);
            publishCall[0] += System.nanoTime() - t0;
            publishCall[1]++;
        };
        long[] gcBefore = gcTotals();
        CpuTracker.Snapshot start = cpu.snapshot();
        new TrainingRun("run-bench-" + UUID.randomUUID(), spec, data, measuring, new CancelSignal(), 0, "bench").run();
        CpuTracker.Snapshot trained = cpu.snapshot();
        long[] gcAfter = gcTotals();
        CpuTracker.Snapshot drained = trained;
        if (publisher != null) {
            // Follow the publisher until this run's events are on disk (and, with Kafka up, acknowledged): their
            // cost belongs to this run even when it lands after the last epoch.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline
                    && (publisher.queued() > 0 || (mode.equals("on") && publisher.spool().pendingEvents() > 0))) {
                Thread.sleep(20);
            }
            Thread.sleep(150); // the writer's last append and the sender's commit after the counters moved
            drained = cpu.snapshot();
        }
        Thread self = Thread.currentThread();
        Map<String, Long> publisherByThread = new TreeMap<>();
        long publisherNs = 0;
        for (Map.Entry<Long, String> t : drained.names().entrySet()) {
            if (mine != null && isPublisherThread(t.getValue()) && mine.owns(t.getKey(), t.getValue())) {
                long d = drained.cpuOf(t.getKey()) - start.cpuOf(t.getKey());
                publisherByThread.merge(groupName(t.getValue()), d, Long::sum);
                publisherNs += d;
            }
        }
        // Java threads other than the training thread and the publisher's, during the training: the sampler, an
        // in-JVM broker, Maven's own threads. Not training, not publishing.
        Map<String, Long> otherByThread = new TreeMap<>();
        long otherNs = 0;
        long publisherDuringTraining = 0;
        for (Map.Entry<Long, String> t : trained.names().entrySet()) {
            long d = trained.cpuOf(t.getKey()) - start.cpuOf(t.getKey());
            if (isPublisherThread(t.getValue())) {
                publisherDuringTraining += d;
            } else if (t.getKey() != self.getId()) {
                otherByThread.merge(groupName(t.getValue()), d, Long::sum);
                otherNs += d;
            }
        }
        long processNs = trained.processCpuNs() - start.processCpuNs();
        long trainingNs = processNs - publisherDuringTraining - otherNs - publishCall[0];
        List<Double> epochMillis = new ArrayList<>();
        for (int i = 1; i < boundaries.size(); i++) {
            epochMillis.add((boundaries.get(i) - boundaries.get(i - 1)) / 1e6);
        }
        return new Run(mode, round, epochMillis, processNs, trainingNs, publisherNs, publisherByThread,
                mode.equals("off") ? 0 : publishCall[0], publishCall[1], otherNs, otherByThread,
                gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1], gcAfter[2] - gcBefore[2]);
    }

    /** Collections and milliseconds of collection so far, all collectors: the indirect cost of allocation. */
    private static long[] gcTotals() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        var jit = ManagementFactory.getCompilationMXBean();
        long jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
        return new long[]{count, millis, jitMillis};
    }

    private static boolean isPublisherThread(String name) {
        return PUBLISHER_THREADS.stream().anyMatch(name::startsWith);
    }

    /** "kafka-producer-network-thread | bench-…" → "kafka-producer-network-thread"; numbered pool threads alike. */
    private static String groupName(String name) {
        int bar = name.indexOf(" |");
        String n = bar > 0 ? name.substring(0, bar) : name;
        return n.replaceAll("[-_ ]?\\d+$", "-N");
    }

    /**
     * Kafka down "for a while", as a host would be after an outage began: the producer exists (its construction, a
     * one-off, is not charged to the run) and has been failing to connect for {@code settleMillis}, so its reconnect
     * back-off has grown towards its maximum (5 s). The sender is blocked in send() waiting for metadata.
     */
    private static void settleDown(DurablePublisher publisher, String clientId, long settleMillis) throws InterruptedException {
        publisher.publish(RunStarted.of("run-bench-warm-up"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().endsWith("| " + clientId))
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(settleMillis);
    }

    /**
     * Pushes {@code events} epoch events through a throwaway publisher to the real broker and waits until Kafka has
     * them all, so that the publishing path (encode, spool, read, producer) is compiled as in a host that has been
     * running; not measured.
     */
    private static void warmUpPublishingPath(String bootstrap, Path tmp, int events) throws InterruptedException {
        long t0 = System.nanoTime();
        DurablePublisher publisher = new DurablePublisher(new EventSpool(tmp.resolve("spool-warm-up"), 256L << 20, 16L << 20),
                SpoolSender.kafkaProducers(SpoolSender.producerConfig(KafkaSettings.bootstrap(bootstrap), "bench-warm-up-" + UUID.randomUUID(),
                        Duration.ofSeconds(30), Duration.ofSeconds(120))),
                "/trainwatch/bench", 100_000, Duration.ofSeconds(1));
        Map<String, Double> layers = Map.of("fc1.weight", 0.5, "fc1.bias", 0.1, "fc2.weight", 0.4, "fc2.bias", 0.05);
        for (int i = 0; i < events; i++) {
            publisher.publish(EpochCompleted.builder("run-bench-warm-up", i).optTotalEpochs(events).optTrainLoss(1.0 / (i + 1))
                    .optValLoss(1.1 / (i + 1)).optLearningRate(0.003).optDurationMs(280L).optGradNorm(0.7)
                    .optLayerGradNorms(layers).build());
            if (i % 1000 == 999) {
                Thread.sleep(50); // stay under the in-memory queue's capacity
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while ((publisher.queued() > 0 || publisher.spool().pendingEvents() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        publisher.close(Duration.ZERO);
        System.out.printf("publishing path warmed up: %d events through a publisher to Kafka in %.1f s (not measured)%n",
                events, (System.nanoTime() - t0) / 1e9);
    }

    /** Sends one event and waits for its acknowledgement, so the producer is connected when training starts. */
    private static void warmUp(DurablePublisher publisher) throws InterruptedException {
        long before = publisher.sent();
        publisher.publish(RunStarted.of("run-bench-warm-up"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (publisher.sent() == before && System.nanoTime() < deadline) {
            Thread.sleep(10); // a benchmark's setup step, not a test's synchronisation
        }
    }

    // ---------------------------------------------------------------------------------------------------- report

    private static void report(List<Run> runs, int rounds, int resamples, long seed, double budgetPercent, String loadAtStart) {
        Map<String, List<Run>> byMode = new LinkedHashMap<>();
        MODES.forEach(m -> byMode.put(m, new ArrayList<>()));
        runs.forEach(r -> byMode.get(r.mode()).add(r));

        System.out.println();
        System.out.println("== Epochs per mode (epoch = interval between the training thread's run.started/epoch.completed events)");
        System.out.printf("%-11s %6s %10s %10s %10s%n", "mode", "epochs", "min ms", "median ms", "max ms");
        for (Map.Entry<String, List<Run>> e : byMode.entrySet()) {
            List<Double> all = e.getValue().stream().flatMap(r -> r.epochMillis().stream()).toList();
            System.out.printf("%-11s %6d %10.1f %10.1f %10.1f%n", e.getKey(), all.size(),
                    all.stream().mapToDouble(Double::doubleValue).min().orElse(0), median(all),
                    all.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        }

        System.out.println();
        System.out.println("== 1. CPU accounting: publishing CPU per epoch vs the training's CPU per epoch");
        System.out.printf("%-11s %6s %14s %16s %13s %10s %22s%n", "mode", "epochs", "training CPU/ep",
                "publishing CPU/ep", "share", "run max", "95% CI of share");
        for (Map.Entry<String, List<Run>> e : byMode.entrySet()) {
            List<Run> rs = e.getValue();
            long ep = rs.stream().mapToLong(r -> r.epochMillis().size()).sum();
            double trainMs = rs.stream().mapToLong(Run::trainingCpuNs).sum() / 1e6;
            double pubMs = rs.stream().mapToLong(Run::publishingCpuNs).sum() / 1e6;
            double share = pubMs / trainMs * 100;
            double max = rs.stream().mapToDouble(r -> 100.0 * r.publishingCpuNs() / r.trainingCpuNs()).max().orElse(0);
            double[] ci = bootstrapRatioOfSums(rs, Run::publishingCpuNs, Run::trainingCpuNs, resamples, seed);
            System.out.printf("%-11s %6d %12.1fms %14.3fms %12.3f%% %9.3f%% %10.3f%% … %.3f%%%n", e.getKey(), ep,
                    trainMs / ep, pubMs / ep, share, max, ci[0] * 100, ci[1] * 100);
        }
        for (String mode : List.of("on", "kafka-down")) {
            List<Run> rs = byMode.get(mode);
            long ep = rs.stream().mapToLong(r -> r.epochMillis().size()).sum();
            Map<String, Long> by = new TreeMap<>();
            rs.forEach(r -> r.publisherByThread().forEach((k, v) -> by.merge(k, v, Long::sum)));
            by.put("publish() on the training thread", rs.stream().mapToLong(Run::publishCallNs).sum());
            long calls = rs.stream().mapToLong(Run::publishCalls).sum();
            System.out.printf("  %s, per epoch: %s; %.1f events/epoch%n", mode, by.entrySet().stream()
                    .map(x -> "%s %.3f ms".formatted(x.getKey(), x.getValue() / 1e6 / ep))
                    .collect(Collectors.joining(", ")), (double) calls / ep);
            double[] ci = bootstrapRatioOfSums(rs, Run::publishingCpuNs, Run::trainingCpuNs, resamples, seed);
            System.out.printf("  %s CPU verdict: %s%n", mode, verdict(ci, budgetPercent, "of the training's CPU", rs.size()));
        }
        System.out.printf("  GC and JIT while training (native threads: counted as training CPU above): %s%n", byMode.entrySet().stream()
                .map(e -> {
                    long ep = e.getValue().stream().mapToLong(r -> r.epochMillis().size()).sum();
                    return "%s %.2f collections and %.2f ms per epoch, JIT compiling %.2f ms per epoch".formatted(e.getKey(),
                            e.getValue().stream().mapToLong(Run::gcCount).sum() / (double) Math.max(1, ep),
                            e.getValue().stream().mapToLong(Run::gcMillis).sum() / (double) Math.max(1, ep),
                            e.getValue().stream().mapToLong(Run::jitMillis).sum() / (double) Math.max(1, ep));
                }).collect(Collectors.joining("; ")));
        Map<String, Long> other = new TreeMap<>();
        runs.forEach(r -> r.otherByThread().forEach((k, v) -> other.merge(k, v, Long::sum)));
        long allEpochs = runs.stream().mapToLong(r -> r.epochMillis().size()).sum();
        System.out.printf("  not counted as training (other Java threads, all modes, ms/epoch): %s%n",
                other.entrySet().stream().filter(x -> x.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .limit(8).map(x -> "%s %.3f".formatted(x.getKey(), x.getValue() / 1e6 / allEpochs))
                        .collect(Collectors.joining(", ")));

        System.out.println();
        System.out.printf("== 2. Wall clock: per-round paired ratio of median epoch times, %d rounds, bootstrap 95%% CI (%d resamples, seed %d)%n",
                rounds, resamples, seed);
        Map<Integer, Map<String, Run>> byRound = new TreeMap<>();
        runs.forEach(r -> byRound.computeIfAbsent(r.round(), k -> new HashMap<>()).put(r.mode(), r));
        for (String mode : List.of("on", "kafka-down")) {
            double[] ratios = byRound.values().stream()
                    .mapToDouble(m -> m.get(mode).medianEpoch() / m.get("off").medianEpoch()).toArray();
            double med = median(ratios);
            double[] ci = bootstrapMedian(ratios, resamples, seed);
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            System.out.printf("%-11s vs off: median %+.2f %%, 95%% CI [%+.2f %%, %+.2f %%], rounds' ratios from %+.2f %% to %+.2f %%%n",
                    mode, (med - 1) * 100, (ci[0] - 1) * 100, (ci[1] - 1) * 100,
                    (sorted[0] - 1) * 100, (sorted[sorted.length - 1] - 1) * 100);
            System.out.printf("  %s wall-clock verdict: %s%n", mode,
                    verdict(new double[] {ci[0] - 1, ci[1] - 1}, budgetPercent, "of epoch time", ratios.length));
        }
        // A slow spell of the machine that lands on one run of a round swings that round's ratio by tens of per cent
        // either way; the median epoch over all rounds shrugs it off. Rounds stay the unit that is resampled (their
        // runs interleave in time), so the interval still reflects round-to-round drift.
        System.out.println();
        System.out.printf("== 3. Wall clock: median of all epochs per mode, ratio to off, bootstrap 95%% CI resampling whole rounds (%d resamples, seed %d)%n",
                resamples, seed);
        List<Map<String, Run>> roundList = List.copyOf(byRound.values());
        for (String mode : List.of("on", "kafka-down")) {
            double ratio = pooledMedianRatio(roundList, mode, roundList.size(), null);
            double[] ci = bootstrapPooledMedianRatio(roundList, mode, resamples, seed);
            System.out.printf("%-11s vs off: %+.2f %%, 95%% CI [%+.2f %%, %+.2f %%]%n", mode, (ratio - 1) * 100,
                    (ci[0] - 1) * 100, (ci[1] - 1) * 100);
            System.out.printf("  %s wall-clock verdict (all epochs): %s%n", mode,
                    verdict(new double[] {ci[0] - 1, ci[1] - 1}, budgetPercent, "of epoch time", roundList.size()));
        }
        System.out.println();
        System.out.printf("load average at start: %s%n", loadAtStart);
        System.out.printf("load average at end:   %s%n", loadAverage());
    }

    /** Below this many rounds a percentile bootstrap's interval is too narrow to trust: no verdict. */
    private static final int MIN_ROUNDS_FOR_VERDICT = 10;

    private static String verdict(double[] ci, double budgetPercent, String of, int n) {
        double lo = ci[0] * 100;
        double hi = ci[1] * 100;
        if (n < MIN_ROUNDS_FOR_VERDICT) {
            return "no verdict: %d rounds (< %d) make the bootstrap interval unreliable (95 %% CI [%+.3f %%, %+.3f %%])"
                    .formatted(n, MIN_ROUNDS_FOR_VERDICT, lo, hi);
        }
        if (hi <= budgetPercent) {
            return "≤ %s %% %s demonstrated (95 %% CI upper bound %+.3f %%)".formatted(fmtBudget(budgetPercent), of, hi);
        }
        if (lo > budgetPercent) {
            return "> %s %% %s: budget NOT met (95 %% CI [%+.3f %%, %+.3f %%])".formatted(fmtBudget(budgetPercent), of, lo, hi);
        }
        return "≤ %s %% %s not demonstrated (95 %% CI [%+.3f %%, %+.3f %%])".formatted(fmtBudget(budgetPercent), of, lo, hi);
    }

    private static String fmtBudget(double b) {
        return b == Math.rint(b) ? String.valueOf((long) b) : String.valueOf(b);
    }

    // ------------------------------------------------------------------------------------------------ statistics

    /** Percentile bootstrap of the median: resample the values with replacement; the 2.5th and 97.5th percentiles. */
    static double[] bootstrapMedian(double[] values, int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] medians = new double[resamples];
        double[] sample = new double[values.length];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < sample.length; i++) {
                sample[i] = values[random.nextInt(values.length)];
            }
            medians[b] = median(sample);
        }
        Arrays.sort(medians);
        return new double[] {percentile(medians, 0.025), percentile(medians, 0.975)};
    }

    /**
     * Median epoch of {@code mode} over {@code n} rounds, divided by the median epoch of "off" over the same rounds;
     * the rounds are all of them in order ({@code random} null) or drawn with replacement.
     */
    private static double pooledMedianRatio(List<Map<String, Run>> rounds, String mode, int n, SplittableRandom random) {
        List<Double> epochs = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Run> round = rounds.get(random == null ? i : random.nextInt(rounds.size()));
            epochs.addAll(round.get(mode).epochMillis());
            off.addAll(round.get("off").epochMillis());
        }
        return median(epochs) / median(off);
    }

    /** Percentile bootstrap of {@link #pooledMedianRatio}, resampling whole rounds. */
    private static double[] bootstrapPooledMedianRatio(List<Map<String, Run>> rounds, String mode, int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] ratios = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            ratios[b] = pooledMedianRatio(rounds, mode, rounds.size(), random);
        }
        Arrays.sort(ratios);
        return new double[] {percentile(ratios, 0.025), percentile(ratios, 0.975)};
    }

    /** Percentile bootstrap of Σnumerator / Σdenominator over resampled runs. */
    private static double[] bootstrapRatioOfSums(List<Run> runs, ToDoubleFunction<Run> num, ToDoubleFunction<Run> den,
                                                 int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] n = runs.stream().mapToDouble(num).toArray();
        double[] d = runs.stream().mapToDouble(den).toArray();
        double[] ratios = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double sn = 0;
            double sd = 0;
            for (int i = 0; i < n.length; i++) {
                int k = random.nextInt(n.length);
                sn += n[k];
                sd += d[k];
            }
            ratios[b] = sn / sd;
        }
        Arrays.sort(ratios);
        return new double[] {percentile(ratios, 0.025), percentile(ratios, 0.975)};
    }

    /** Linear interpolation between closest ranks, on sorted values. */
    private static double percentile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static List<List<String>> permutations(List<String> items) {
        if (items.size() <= 1) {
            return List.of(items);
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<String> rest = new ArrayList<>(items);
            String head = rest.remove(i);
            for (List<String> p : permutations(rest)) {
                List<String> l = new ArrayList<>();
                l.add(head);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------- settings

    private static void printSettings(String load, int trainSize, int sampleEvery, int epochs, int rounds, int warmUpRounds,
                                      long downSettleMillis, String kafka) {
        System.out.printf("job: spirals, train_size %d, MLP [64, 64], step_sample_every %d; %d epochs per run, %d rounds "
                        + "(+%d warm-up) of off/on/kafka-down in rotating order; kafka-down settles %d ms before its clock starts%n",
                trainSize, sampleEvery, epochs, rounds, warmUpRounds, downSettleMillis);
        System.out.println("broker: " + (kafka == null ? "in this JVM (its threads are excluded from training CPU, "
                + "but it shares the trainer's cores and heap)" : "external, " + kafka));
        System.out.printf("CPU affinity of this JVM: %s (availableProcessors %d, online CPUs %s)%n",
                procStatus("self", "Cpus_allowed_list"), Runtime.getRuntime().availableProcessors(), onlineCpus());
        String brokerPid = System.getProperty("bench.broker-pid");
        if (brokerPid != null) {
            System.out.printf("CPU affinity of the broker (pid %s): %s%n", brokerPid, procStatus(brokerPid, "Cpus_allowed_list"));
        }
        System.out.printf("PyTorch threads: intra-op %s, inter-op %s (ai.djl.pytorch.num_threads=%s, "
                        + "ai.djl.pytorch.num_interop_threads=%s, OMP_NUM_THREADS=%s, MKL_NUM_THREADS=%s)%n",
                torchThreads(true), torchThreads(false), System.getProperty("ai.djl.pytorch.num_threads", "unset"),
                System.getProperty("ai.djl.pytorch.num_interop_threads", "unset"), envOr("OMP_NUM_THREADS"),
                envOr("MKL_NUM_THREADS"));
        System.out.printf("JVM: %s %s, GC %s%n", System.getProperty("java.vm.name"), System.getProperty("java.version"),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                        .collect(Collectors.joining(", ")));
        System.out.printf("load average at start: %s%n", load);
    }

    private static String torchThreads(boolean intra) {
        try {
            Class<?> jni = Class.forName("ai.djl.pytorch.jni.JniUtils");
            return String.valueOf(jni.getMethod(intra ? "getNumThreads" : "getNumInteropThreads").invoke(null));
        } catch (ReflectiveOperationException | LinkageError e) {
            return "?";
        }
    }

    private static String envOr(String name) {
        String v = System.getenv(name);
        return v == null ? "unset" : v;
    }

    private static String procStatus(String pid, String key) {
        try {
            return Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith(key + ":"))
                    .map(l -> l.substring(key.length() + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    private static String onlineCpus() {
        try {
            return Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    // -------------------------------------------------------------------------------------------- CPU accounting

    /**
     * Thread CPU times by thread id, including threads that ended: a sampler thread records every live thread's
     * CPU time every 200 ms, so a producer network thread replaced between two snapshots keeps the CPU it had at the
     * last sample (at most one period of it is lost). The sampler's own CPU is counted as neither training nor
     * publishing.
     */
    private static final class CpuTracker implements AutoCloseable {

        record Snapshot(long processCpuNs, Map<Long, Long> cpu, Map<Long, String> names) {
            long cpuOf(long id) {
                return cpu.getOrDefault(id, 0L);
            }
        }

        private final ThreadMXBean mx;
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final Map<Long, Long> lastCpu = new HashMap<>();
        private final Map<Long, String> names = new HashMap<>();
        private final Thread sampler;
        private volatile boolean running = true;

        CpuTracker(ThreadMXBean mx) {
            this.mx = mx;
            sampler = new Thread(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, SAMPLER_THREAD);
            sampler.setDaemon(true);
            sampler.start();
        }

        synchronized void sample() {
            long[] ids = mx.getAllThreadIds();
            List<Long> unnamed = new ArrayList<>();
            for (long id : ids) {
                if (!names.containsKey(id)) {
                    unnamed.add(id);
                }
            }
            if (!unnamed.isEmpty()) {
                for (ThreadInfo info : mx.getThreadInfo(unnamed.stream().mapToLong(Long::longValue).toArray())) {
                    if (info != null) {
                        names.put(info.getThreadId(), info.getThreadName());
                    }
                }
            }
            for (long id : ids) {
                long t = mx.getThreadCpuTime(id);
                if (t >= 0 && names.containsKey(id)) {
                    lastCpu.put(id, t); // -1: ended since getAllThreadIds; keep the last value seen
                }
            }
        }

        /** Every thread's CPU time so far (ended ones: as last sampled), and the process's. */
        synchronized Snapshot snapshot() {
            sample();
            return new Snapshot(os.getProcessCpuTime(), new HashMap<>(lastCpu), new HashMap<>(names));
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            sampler.interrupt();
            sampler.join(1000);
        }
    }
}
