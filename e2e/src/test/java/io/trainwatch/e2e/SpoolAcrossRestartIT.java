package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spool across a whole trainer-host restart, with the packaged app as a real process: a host that cannot reach
 * Kafka trains a short job to the end, so every event of the run waits in its spool; the host is stopped (SIGTERM,
 * or SIGKILL as in a crash) and a new one is started over the same spool directory with Kafka reachable; every
 * event of the run then arrives on {@code trainwatch.run-events.v1}, in order, none twice, and metrics-api stores
 * the run as completed.
 */
class SpoolAcrossRestartIT {

    private static final int EPOCHS = 3;
    /** 1,600 samples in batches of 64: 25 steps an epoch, 75 in all; a step sample every 10 steps: 7 of them. */
    private static final int STEP_SAMPLES = 7;
    /** run.started, the epochs, the step samples, run.finished. */
    private static final int EVENTS = 1 + EPOCHS + STEP_SAMPLES + 1;

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    @ParameterizedTest(name = "stopped with {0}")
    @ValueSource(strings = {"SIGTERM", "SIGKILL"})
    void everyEventSpooledWhileKafkaWasUnreachableArrivesAfterARestartInOrderOnce(String signal) throws Exception {
        long began = System.nanoTime();
        Path work = Files.createTempDirectory("trainwatch-e2e-spool-" + signal.toLowerCase());
        Path spool = work.resolve("spool");
        // A port nothing listens on: the first host's Kafka is unreachable from its start.
        String nowhere = "127.0.0.1:" + TrainwatchSystem.freePort();

        String runId;
        AppProcess first = startTrainer("trainer-host-spool-" + signal.toLowerCase() + "-1", work, spool, nowhere);
        try {
            Http.Reply submitted = Http.post(first.url("/api/v1/jobs"), """
                    {"preset": "healthy", "name": "e2e-spool-restart", "project": "e2e", "epochs": %d,
                     "dataset": {"train_size": 1600, "val_size": 400}, "step_sample_every": 10}
                    """.formatted(EPOCHS));
            assertEquals(202, submitted.status(), submitted.raw());
            runId = submitted.body().path("run_id").asText();
            await("job completed without Kafka").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> "completed".equals(Http.json(first.url("/api/v1/jobs/" + runId)).path("status").asText()));
            // The writer moves events to disk every 100 ms: wait until all of them are in the spool.
            await("every event in the spool").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> spoolCheck(first).path("data").path("pending_events").asInt() == EVENTS);
            JsonNode check = spoolCheck(first);
            assertEquals("UP", check.path("status").asText(), "Kafka down alone is not DOWN, the spool absorbs it: " + check);
            assertFalse(check.path("data").path("kafka_reachable").asBoolean(true), check.toString());
            assertEquals(0, check.path("data").path("dropped_events").asInt(), check.toString());
            assertEquals(spool.toAbsolutePath().toString(), check.path("data").path("dir").asText());
            assertTrue(check.path("data").path("pending_bytes").asLong() > 0, check.toString());
        } finally {
            if (signal.equals("SIGKILL")) {
                first.kill();
            } else {
                first.terminate();
            }
        }
        assertFalse(first.alive());
        try (Stream<Path> files = Files.list(spool)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".spool")), "segments left on disk");
        }

        try (RunEventsTopic topic = new RunEventsTopic(system.stack.kafkaBootstrapServers(), runId)) {
            AppProcess second = startTrainer("trainer-host-spool-" + signal.toLowerCase() + "-2", work, spool,
                    system.stack.kafkaBootstrapServers());
            try {
                await("backlog sent").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    JsonNode data = spoolCheck(second).path("data");
                    return data.path("pending_events").asInt(-1) == 0 && data.path("kafka_reachable").asBoolean(false);
                });
                assertEquals(404, Http.get(second.url("/api/v1/jobs/" + runId)).status(),
                        "a new process: it sends the old run's events without knowing the job");
            } finally {
                second.terminate();
            }
            List<Received> got = topic.untilCaughtUp(Duration.ofSeconds(30));
            List<TrainwatchEvent> events = got.stream().map(Received::event).toList();
            assertEquals(EVENTS, got.size(), "every event of the run: " + events);
            assertEquals(EVENTS, new HashSet<>(got.stream().map(Received::ceId).toList()).size(), "none twice by ce_id");
            assertEquals(1, got.stream().map(Received::partition).distinct().count(), "one partition per run");
            for (int i = 1; i < got.size(); i++) {
                assertTrue(got.get(i).offset() > got.get(i - 1).offset());
            }
            RunStarted started = assertInstanceOf(RunStarted.class, events.get(0), "run.started first");
            assertEquals("e2e-spool-restart", started.name());
            assertEquals(EPOCHS, started.totalEpochs());
            RunFinished finished = assertInstanceOf(RunFinished.class, events.get(events.size() - 1), "run.finished last");
            assertEquals(RunStatus.COMPLETED, finished.status());
            assertEquals(EPOCHS, finished.epochsCompleted());
            List<Integer> epochs = events.stream().filter(EpochCompleted.class::isInstance)
                    .map(e -> ((EpochCompleted) e).epoch()).toList();
            assertEquals(List.of(0, 1, 2), epochs, "epochs 0..N-1 in order");
            List<Long> steps = events.stream().filter(StepSampled.class::isInstance)
                    .map(e -> ((StepSampled) e).globalStep()).toList();
            assertEquals(List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L), steps);
        }

        // The user-facing outcome: metrics-api learns of the run from the late events and stores it whole.
        String run = system.metricsApi.url("/api/v1/runs/" + runId);
        await("run stored by metrics-api").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Http.Reply r = Http.get(run);
                    return r.status() == 200 && "completed".equals(r.body().path("status").asText());
                });
        assertEquals(EPOCHS, Http.json(run).path("epochs_recorded").asInt());
        System.out.printf("SpoolAcrossRestartIT[%s]: %.1f s%n", signal, (System.nanoTime() - began) / 1e9);
    }

    /** A trainer-host of its own over {@code spool}; a short drain so that a stop with Kafka down is quick. */
    private static AppProcess startTrainer(String name, Path work, Path spool, String kafka) throws IOException {
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        return AppProcess.start(name, system.repoRoot, "trainer-host", TrainwatchSystem.freePort(),
                // Job API tokens are checked with the shared system's metrics-api, as every trainer-host does. The
                // queue off: the first host trains with Kafka unreachable (so it cannot take jobs from the job topic),
                // and neither host may take the shared system's jobs.
                Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka, "TRAINWATCH_SPOOL_DIR", spool.toString(),
                        "TRAINWATCH_PUBLISHER_DRAIN_TIMEOUT", "1s", "TRAINWATCH_METRICS_API_URL", system.metricsApi.url(""),
                        "TRAINWATCH_QUEUE_ENABLED", "false"),
                List.of("-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp, "-Dai.djl.offline=true"),
                Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).toAbsolutePath());
    }

    /** The spool's readiness check from {@code /q/health/ready} (answered 200 or 503). */
    private static JsonNode spoolCheck(AppProcess app) {
        Http.Reply r = Http.get(app.url("/q/health/ready"));
        if (r.body() == null) {
            throw new AssertionError("readiness answered " + r.status() + ": " + r.raw());
        }
        for (JsonNode check : r.body().path("checks")) {
            if ("trainwatch-event-spool".equals(check.path("name").asText())) {
                return check;
            }
        }
        throw new AssertionError("no trainwatch-event-spool check: " + r.raw());
    }

    /** One record of the run as it arrived, decoded. */
    record Received(int partition, long offset, Map<String, String> headers, TrainwatchEvent event) {
        String ceId() {
            return headers.get(CloudEvents.H_ID);
        }
    }

    /** The run-events topic from the beginning, keeping one run's records, decoded. */
    static final class RunEventsTopic implements AutoCloseable {

        private final TopicReader reader;

        RunEventsTopic(String bootstrapServers, String runId) {
            this.reader = new TopicReader(bootstrapServers, Topics.RUN_EVENTS, runId::equals, false);
        }

        /** Called once the sender has no pending events, so every record of the run, duplicates included, is in hand. */
        List<Received> untilCaughtUp(Duration timeout) {
            return reader.untilCaughtUp(timeout).stream().map(r -> new Received(r.partition(), r.offset(), r.headers(),
                    EventCodec.instance().decode(r.header(CloudEvents.H_TYPE), r.value()))).toList();
        }

        @Override
        public void close() {
            reader.close();
        }
    }
}
