package io.trainwatch.trainer.rest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.analysis.AnalysisSettings;
import io.trainwatch.analysis.Patience;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.TopicReader.Received;
import io.trainwatch.testsupport.TopicReader;
import io.trainwatch.trainer.messaging.CancelDispatcher;
import io.trainwatch.trainer.messaging.RunEventRecords;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer host end to end on real Kafka: REST in, events out, cancels in through the control topic. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = false)
class JobsKafkaTest {

    static final String SMALL_JOB = """
            {"name": "five-epochs", "project": "it", "tags": ["it"],
             "model": {"type": "mlp", "hidden": [16, 16]},
             "dataset": {"type": "spirals", "train_size": 640, "val_size": 200, "noise": 0.2, "seed": 3},
             "epochs": %d, "batch_size": 32, "optimizer": {"type": "adam", "learning_rate": 0.01},
             "grad_clip": 5.0, "step_sample_every": 5, "monitor": {"patience": 3, "min_delta": 0.001}}
            """;

    @Inject
    CancelDispatcher control;

    static String bootstrap() {
        return LocalStackTestResource.stack().kafkaBootstrapServers();
    }

    static String submit(String body) {
        return given().contentType(ContentType.JSON).body(body)
                .when().post("/api/v1/jobs")
                .then().statusCode(202).body("run_id", notNullValue()).body("status", equalTo("queued"))
                .extract().path("run_id");
    }

    static String status(String runId) {
        return given().get("/api/v1/jobs/" + runId).then().statusCode(200).extract().path("status");
    }

    @Test
    void aFiveEpochJobPublishesEveryEventInOrderOnOnePartition() {
        String runId = submit(SMALL_JOB.formatted(5));
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            List<Received> got = RunEventRecords.untilFinished(reader, Duration.ofSeconds(90));
            List<TrainwatchEvent> events = got.stream().map(RunEventRecords::event).toList();
            assertInstanceOf(RunStarted.class, events.get(0));
            assertInstanceOf(RunFinished.class, events.get(events.size() - 1));
            assertEquals(1, got.stream().map(Received::partition).distinct().count(), "one partition");
            assertEquals(got.size(), new HashSet<>(got.stream().map(RunEventRecords::ceId).toList()).size(), "none twice");
            for (int i = 1; i < got.size(); i++) {
                assertTrue(got.get(i).offset() > got.get(i - 1).offset());
            }
            for (Received r : got) {
                assertEquals(runId, r.key());
                assertEquals(runId, r.headers().get(CloudEvents.H_SUBJECT));
                assertEquals("io.trainwatch." + RunEventRecords.event(r).type().baseName(), r.headers().get(CloudEvents.H_TYPE),
                        "the reverse-DNS ce_type");
                assertNotNull(r.headers().get(CloudEvents.H_SOURCE));
                assertNotNull(Instant.parse(r.headers().get(CloudEvents.H_TIME)));
            }
            RunStarted started = (RunStarted) events.get(0);
            assertEquals("five-epochs", started.name());
            assertEquals("cpu", started.device());
            assertEquals(5, started.totalEpochs());
            assertEquals(3, started.monitor().patience());
            assertTrue(started.model().parameterCount() > 0);
            assertEquals(640L, started.dataset().trainSize());

            List<EpochCompleted> epochs = events.stream().filter(EpochCompleted.class::isInstance).map(EpochCompleted.class::cast).toList();
            assertEquals(5, epochs.size());
            for (int e = 0; e < 5; e++) {
                EpochCompleted ec = epochs.get(e);
                assertEquals(e, ec.epoch());
                assertEquals(5, ec.totalEpochs());
                assertEquals(20L * (e + 1), ec.globalStep());
                assertNotNull(ec.emittedAt());
                assertTrue(ec.trainLoss() > 0 && ec.trainLoss() < 3);
                assertTrue(ec.valLoss() > 0 && ec.valLoss() < 3);
                assertTrue(ec.trainAccuracy() > 0 && ec.trainAccuracy() <= 1);
                assertTrue(ec.valAccuracy() > 0 && ec.valAccuracy() <= 1);
                assertEquals(0.01, ec.learningRate(), 1e-9);
                assertTrue(ec.durationMs() >= 0);
                assertTrue(ec.samplesPerSecond() > 0);
                assertTrue(ec.gradNorm() > 0 && ec.gradNormMax() >= ec.gradNorm());
                assertEquals(6, ec.layerGradNorms().size());
                assertTrue(ec.paramNorm() > 0);
                assertTrue(ec.clippedSteps() >= 0 && ec.clippedSteps() <= 20);
                assertTrue(ec.memoryBytes() > 1_000_000);
            }
            assertTrue(epochs.get(4).trainLoss() < epochs.get(0).trainLoss(), "it learns");
            List<StepSampled> steps = events.stream().filter(StepSampled.class::isInstance).map(StepSampled.class::cast).toList();
            assertEquals(20, steps.size(), "every 5th of 100 steps");
            // steps of epoch e come after epoch e-1's summary and before epoch e's
            int lastEpochSeen = -1;
            for (TrainwatchEvent ev : events) {
                if (ev instanceof EpochCompleted ec) {
                    lastEpochSeen = ec.epoch();
                } else if (ev instanceof StepSampled s) {
                    assertEquals(lastEpochSeen + 1, s.epoch());
                }
            }
            RunFinished finished = (RunFinished) events.get(events.size() - 1);
            assertEquals(RunStatus.COMPLETED, finished.status());
            assertEquals(5, finished.epochsCompleted());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> status(runId).equals("completed"));
        given().get("/api/v1/jobs/" + runId).then()
                .body("progress", equalTo(1.0f)).body("epoch", equalTo(4)).body("device", equalTo("cpu"))
                .body("spec.optimizer.learning_rate", equalTo(0.01f));
        given().get("/api/v1/jobs").then().statusCode(200).body("run_id", hasItem(runId));
    }

    @Test
    void withStopEarlyTheOverfitPresetEndsStoppedEarlyLongBeforeItsEpochs() {
        String runId = submit("""
                {"preset": "overfit", "epochs": 60, "monitor": {"stop_early": true, "patience": 4}}
                """);
        List<TrainwatchEvent> events;
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            events = RunEventRecords.untilFinished(reader, Duration.ofSeconds(120)).stream().map(RunEventRecords::event).toList();
        }
        RunStarted started = (RunStarted) events.get(0);
        assertEquals(4, started.monitor().patience());
        assertEquals(true, started.hyperparameters().get("stop_early"));
        assertInstanceOf(RunFinished.class, events.get(events.size() - 1), "run.finished is the last event");
        RunFinished finished = (RunFinished) events.get(events.size() - 1);
        List<EpochCompleted> epochs = events.stream().filter(EpochCompleted.class::isInstance).map(EpochCompleted.class::cast).toList();
        assertEquals(RunStatus.STOPPED_EARLY, finished.status(), finished.reason());
        assertEquals(epochs.size(), finished.epochsCompleted());
        assertTrue(epochs.size() < 30, "stopped long before 60 epochs: " + epochs.size());
        assertNull(finished.requestedBy(), "nobody asked: the host stopped it");
        // The stop came after exactly the epoch where patience ran out: replaying the emitted losses through the
        // rule stops there and not before. The reason names the best epoch and its loss.
        Patience replay = new Patience(4, AnalysisSettings.DEFAULT_MIN_DELTA);
        for (EpochCompleted e : epochs.subList(0, epochs.size() - 1)) {
            assertTrue(replay.onEpoch(e.epoch(), e.valLoss(), "val_loss").isEmpty(), "did not stop at epoch " + e.epoch());
        }
        EpochCompleted last = epochs.get(epochs.size() - 1);
        assertEquals(Optional.of(finished.reason()), replay.onEpoch(last.epoch(), last.valLoss(), "val_loss"));
        assertEquals(last.epoch() - 4, replay.bestEpoch());
        assertTrue(finished.reason().startsWith("val_loss has not improved by more than min_delta 0.0001"), finished.reason());
        assertTrue(finished.reason().contains("for 4 epochs (patience 4); best "), finished.reason());
        assertTrue(finished.reason().endsWith(" at epoch " + replay.bestEpoch()), finished.reason());

        await().atMost(Duration.ofSeconds(10)).until(() -> status(runId).equals("stopped_early"));
        given().get("/api/v1/jobs/" + runId).then()
                .body("reason", equalTo(finished.reason()))
                .body("epochs_completed", equalTo(epochs.size()))
                .body("epoch", equalTo(last.epoch()))
                .body("spec.monitor.stop_early", equalTo(true));
        given().get("/api/v1/jobs").then().body("find { it.run_id == '" + runId + "' }.status", equalTo("stopped_early"));
    }

    @Test
    void aCancelOnTheControlTopicStopsTheRunWithTheRequestersReason() {
        await().atMost(Duration.ofSeconds(30)).until(control::ready);
        String runId = submit(SMALL_JOB.formatted(500));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("running")
                && given().get("/api/v1/jobs/" + runId).then().extract().path("epoch") != null);
        // a cancel for a run this host does not own is ignored
        sendCancel(new RunCancelRequested(1, "run-somebody-else", "not mine", "agent", Instant.now()));
        sendCancel(new RunCancelRequested(1, runId, "val_loss rising for 5 epochs", "agent-42", Instant.now()));
        await().atMost(Duration.ofSeconds(30)).until(() -> status(runId).equals("cancelled"));
        given().get("/api/v1/jobs/" + runId).then()
                .body("reason", equalTo("val_loss rising for 5 epochs")).body("requested_by", equalTo("agent-42"));
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            List<Received> got = RunEventRecords.untilFinished(reader, Duration.ofSeconds(30));
            RunFinished f = (RunFinished) RunEventRecords.event(got.get(got.size() - 1));
            assertEquals(RunStatus.CANCELLED, f.status());
            assertEquals("val_loss rising for 5 epochs", f.reason());
            assertEquals("agent-42", f.requestedBy());
            assertTrue(f.epochsCompleted() < 500);
        }
    }

    @Test
    void deleteCancelsLocally() {
        String runId = submit(SMALL_JOB.formatted(500));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("running"));
        given().queryParam("reason", "enough").queryParam("requested_by", "me")
                .delete("/api/v1/jobs/" + runId).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> status(runId).equals("cancelled"));
        given().delete("/api/v1/jobs/" + runId).then().statusCode(200).body("status", equalTo("cancelled")).body("reason", equalTo("enough"));
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            RunFinished f = (RunFinished) RunEventRecords.untilFinished(reader, Duration.ofSeconds(30)).stream()
                    .map(RunEventRecords::event).filter(RunFinished.class::isInstance).findFirst().orElseThrow();
            assertEquals(RunStatus.CANCELLED, f.status());
            assertEquals("me", f.requestedBy());
        }
    }

    @Test
    void eventsPublishedWhileKafkaIsDownArriveAfterItReturnsInOrderOnce() {
        String runId = submit(SMALL_JOB.formatted(6));
        await().atMost(Duration.ofSeconds(60)).until(() -> given().get("/api/v1/jobs/" + runId).then().extract().path("epoch") != null);
        LocalStackTestResource.stack().stopKafka();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("completed"));
        } finally {
            LocalStackTestResource.stack().startKafka();
        }
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            List<Received> got = RunEventRecords.untilFinished(reader, Duration.ofSeconds(90));
            List<TrainwatchEvent> events = got.stream().map(RunEventRecords::event).toList();
            assertEquals(got.size(), new HashSet<>(got.stream().map(RunEventRecords::ceId).toList()).size(), "none twice");
            assertInstanceOf(RunStarted.class, events.get(0));
            List<Integer> epochs = events.stream().filter(EpochCompleted.class::isInstance).map(e -> ((EpochCompleted) e).epoch()).toList();
            assertEquals(List.of(0, 1, 2, 3, 4, 5), epochs, "every epoch, in order");
            assertEquals(24, events.stream().filter(StepSampled.class::isInstance).count());
            long lastStep = -1;
            for (TrainwatchEvent e : events) {
                if (e instanceof StepSampled s) {
                    assertTrue(s.globalStep() > lastStep);
                    lastStep = s.globalStep();
                }
            }
            assertEquals(RunStatus.COMPLETED, ((RunFinished) events.get(events.size() - 1)).status());
        }
    }

    @Test
    void badSpecsAreProblemsNamingTheField() {
        given().contentType(ContentType.JSON).body("{\"model\": {\"type\": \"transformer\"}, \"epochs\": -3}")
                .post("/api/v1/jobs").then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("urn:trainwatch:problem:invalid-spec"))
                .body("status", equalTo(422))
                .body("title", notNullValue()).body("detail", notNullValue())
                .body("errors.field", hasItem("model.type"))
                .body("errors.field", hasItem("epochs"))
                .body("errors.find { it.field == 'model.type' }.message", equalTo("must be one of [mlp, cnn], was \"transformer\""));
        given().contentType(ContentType.JSON).body("{\"dataset\": {\"type\": \"csv\", \"path\": \"/no/such.csv\"}}")
                .post("/api/v1/jobs").then().statusCode(422).body("errors[0].field", equalTo("dataset.path"));
        given().contentType(ContentType.JSON).body("{\"preset\": \"overfit\", \"epochs\": 2,")
                .post("/api/v1/jobs").then().statusCode(400).contentType("application/problem+json");
        given().get("/api/v1/jobs/run-unknown").then().statusCode(404).contentType("application/problem+json")
                .body("status", equalTo(404)).body("detail", equalTo("run_id: no job \"run-unknown\" on this trainer host"));
        given().get("/q/health/ready").then().statusCode(200).body("checks.name", hasItem("trainwatch-event-spool"));
        given().get("/q/openapi").then().statusCode(200);
    }

    static void sendCancel(RunCancelRequested cancel) {
        Map<String, Object> c = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c)) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.RUN_CONTROL, cancel.runId(), EventCodec.instance().encode(cancel));
            CloudEvents.headers(cancel, CloudEvents.newId(), "/test", Instant.now())
                    .forEach((k, v) -> r.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
            p.send(r);
            p.flush();
        }
    }
}
