package io.trainwatch.metrics;

import io.trainwatch.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.Topics;
import io.trainwatch.metrics.ingest.DeadLetters;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka → PostgreSQL → REST on the real broker and database. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class IngestTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void runPublishedToKafkaIsListedAndItsHistoryMatchesFieldForField() {
        String runId = TestRuns.newRunId("ingest");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-ingest", 5));
        List<EpochCompleted> sent = new ArrayList<>();
        for (int e = 0; e < 5; e++) {
            EpochCompleted epoch = TestRuns.epoch(runId, e, 5);
            if (e == 3) {
                // A diverged epoch: NaN and Infinity are facts that must survive the round trip.
                epoch = new EpochCompleted(1, runId, 3, 5, epoch.globalStep(), epoch.emittedAt(), Double.NaN,
                        Double.POSITIVE_INFINITY, epoch.trainAccuracy(), null, epoch.learningRate(), epoch.durationMs(),
                        epoch.samplesPerSecond(), Double.NaN, epoch.gradNormMax(),
                        Map.of("fc1.weight", Double.NaN, "extra.layer", 2.5), epoch.paramNorm(), 3, epoch.memoryBytes(),
                        Map.of("f1", 0.75, "weird", Double.NEGATIVE_INFINITY));
            }
            sent.add(epoch);
            KafkaTestClient.send(Topics.RUN_EVENTS, epoch);
        }

        await().atMost(WAIT).untilAsserted(() -> given().queryParam("project", "proj-ingest").get("/api/v1/runs")
                .then().statusCode(200).body("runs.run_id", hasItem(runId)));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .statusCode(200).body("count", equalTo(5)));

        byte[] body = given().get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).extract().asByteArray();
        var tree = readTree(body);
        for (int i = 0; i < 5; i++) {
            // The stored epoch, re-read through the contracts codec, equals what was sent: every field, NaN included.
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("epochs").get(i);
            node.put("run_id", runId);
            EpochCompleted back = EventCodec.instance().decode(node, EpochCompleted.class);
            EpochCompleted expected = withoutTotal(sent.get(i));
            assertEquals(expected, back, "epoch " + i);
        }
        assertEquals("NaN", tree.get("epochs").get(3).get("train_loss").asText());
        assertEquals("Infinity", tree.get("epochs").get(3).get("val_loss").asText());
        assertFalse(tree.get("epochs").get(3).has("val_accuracy"), "absent stays absent, never null or zero");

        JsonPath run = given().get("/api/v1/runs/{id}", runId).then().statusCode(200).extract().jsonPath();
        assertEquals("running", run.getString("status"));
        assertEquals("spirals-mlp", run.getString("name"));
        assertEquals(4, run.getInt("latest_epoch"));
        assertEquals(100.0f, run.getFloat("progress_percent"));
        assertEquals("mlp[128,128]", run.getString("model.architecture"));
        assertEquals(10, run.getInt("monitor.patience"));
        assertEquals(4, run.getInt("latest.epoch"));

        KafkaTestClient.send(Topics.RUN_EVENTS, new RunFinished(1, runId, RunStatus.COMPLETED, "done", 5, null, null));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("completed")).body("finish_reason", equalTo("done")));
    }

    @Test
    void duplicatesAndReorderingGiveOneRightHistory() {
        String runId = TestRuns.newRunId("reorder");
        List<Integer> order = new ArrayList<>();
        for (int e = 0; e < 30; e++) {
            order.add(e);
        }
        Collections.shuffle(order, new Random(42));
        // Epochs before run.started, shuffled, each sent twice with the same ce_id (a redelivery) and some again
        // with a fresh id (a producer retry after a restart).
        for (int e : order) {
            EpochCompleted epoch = TestRuns.epoch(runId, e, 30);
            String id = CloudEvents.newId();
            KafkaTestClient.send(Topics.RUN_EVENTS, epoch, id);
            KafkaTestClient.send(Topics.RUN_EVENTS, epoch, id);
            if (e % 5 == 0) {
                KafkaTestClient.send(Topics.RUN_EVENTS, epoch);
            }
        }
        String startedId = CloudEvents.newId();
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-reorder", 30), startedId);
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-reorder", 30), startedId);
        KafkaTestClient.send(Topics.RUN_EVENTS, new StepSampled(1, runId, 0, 7L, null, 0.9, 0.001, 0.3));
        KafkaTestClient.send(Topics.RUN_EVENTS, new StepSampled(1, runId, 0, 7L, null, 0.9, 0.001, 0.3));

        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200)
                .body("epochs_recorded", equalTo(30)).body("name", equalTo("spirals-mlp"))
                .body("steps_recorded", equalTo(1)));
        var history = readTree(given().get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).extract().asByteArray());
        assertEquals(30, history.get("epochs").size());
        for (int e = 0; e < 30; e++) {
            assertEquals(e, history.get("epochs").get(e).get("epoch").asInt());
            // Exact equality: float8 keeps every bit of the double that was sent.
            assertEquals(TestRuns.epoch(runId, e, 30).valLoss(), history.get("epochs").get(e).get("val_loss").asDouble());
        }
        given().get("/api/v1/runs/{id}", runId).then().body("latest_epoch", equalTo(29)).body("project", equalTo("proj-reorder"));
        given().get("/api/v1/runs/{id}/steps", runId).then().statusCode(200).body("steps.global_step", equalTo(List.of(7)));
    }

    @Test
    void poisonEventsLandInTheDeadLetterTopicWithTheirReasonAndLaterEventsStillArrive() {
        String runId = TestRuns.newRunId("poison");
        try (TopicReader dlq = KafkaTestClient.reader(Topics.RUN_EVENTS_DLQ, runId)) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-poison", 3));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 0, 3));
            Map<String, String> headers = new java.util.LinkedHashMap<>(CloudEvents.headers(TestRuns.epoch(runId, 1, 3),
                    CloudEvents.newId(), "/test", Instant.now()));
            // Invalid field: epoch -3.
            KafkaTestClient.sendRaw(Topics.RUN_EVENTS, runId, headers,
                    ("{\"run_id\":\"" + runId + "\",\"epoch\":-3}").getBytes(StandardCharsets.UTF_8));
            // Not JSON.
            headers.put(CloudEvents.H_ID, CloudEvents.newId());
            KafkaTestClient.sendRaw(Topics.RUN_EVENTS, runId, headers, "{not json".getBytes(StandardCharsets.UTF_8));
            // Unknown type.
            headers.put(CloudEvents.H_ID, CloudEvents.newId());
            headers.put(CloudEvents.H_TYPE, "epoch.exploded");
            KafkaTestClient.sendRaw(Topics.RUN_EVENTS, runId, headers,
                    ("{\"run_id\":\"" + runId + "\",\"epoch\":1}").getBytes(StandardCharsets.UTF_8));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 1, 3));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 2, 3));

            await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                    .statusCode(200).body("epochs.epoch", equalTo(List.of(0, 1, 2))));

            List<TopicReader.Received> dead = dlq.untilCount(3, WAIT);
            assertEquals(3, dead.size());
            List<String> reasons = dead.stream().map(r -> r.header(DeadLetters.H_REASON)).toList();
            assertTrue(reasons.get(0).startsWith("epoch: must be >= 0"), reasons.get(0));
            assertTrue(reasons.get(1).contains("not valid JSON"), reasons.get(1));
            assertTrue(reasons.get(2).startsWith("ce_type: must be one of io.trainwatch.epoch.completed"), reasons.get(2));
            assertTrue(reasons.get(2).endsWith("(or the same without io.trainwatch.), was \"epoch.exploded\""), reasons.get(2));
            for (TopicReader.Received r : dead) {
                assertEquals(Topics.RUN_EVENTS, r.header(DeadLetters.H_TOPIC));
                assertNotNull(r.header(DeadLetters.H_PARTITION));
                assertNotNull(r.header(DeadLetters.H_OFFSET));
                assertNotNull(r.header(CloudEvents.H_ID), "original headers are kept");
            }
        }
    }

    /**
     * A producer built before the reverse-DNS prefix sends bare ce_types and no ce_dataschema; such records also stay
     * on the v1 topic for its retention. They are stored like any other, while an unknown type, prefixed or not, is
     * still dead-lettered with its reason.
     */
    @Test
    void eventsWithTheLegacyBareTypeAreStoredAndUnknownTypesStillDeadLettered() {
        String runId = TestRuns.newRunId("legacy-type");
        try (TopicReader dlq = KafkaTestClient.reader(Topics.RUN_EVENTS_DLQ, runId)) {
            sendAsLegacyProducer(TestRuns.started(runId, "proj-legacy", 3), "run.started");
            sendAsLegacyProducer(TestRuns.epoch(runId, 0, 3), "epoch.completed");
            sendAsLegacyProducer(new StepSampled(1, runId, 0, 5L, null, 0.8, 0.001, 0.2), "step.sampled");
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 1, 3)); // an upgraded producer, same run
            Map<String, String> unknown = new java.util.LinkedHashMap<>(CloudEvents.headers(TestRuns.epoch(runId, 2, 3),
                    CloudEvents.newId(), "/test", Instant.now()));
            unknown.put(CloudEvents.H_TYPE, "io.trainwatch.epoch.exploded");
            KafkaTestClient.sendRaw(Topics.RUN_EVENTS, runId, unknown,
                    EventCodec.instance().encode(TestRuns.epoch(runId, 2, 3)));
            sendAsLegacyProducer(new RunFinished(1, runId, RunStatus.COMPLETED, "done", 2, null, null), "run.finished");

            await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200)
                    .body("status", equalTo("completed")).body("name", equalTo("spirals-mlp"))
                    .body("epochs_recorded", equalTo(2)).body("steps_recorded", equalTo(1)));
            given().get("/api/v1/runs/{id}/metrics", runId).then().body("epochs.epoch", equalTo(List.of(0, 1)));

            // The DLQ write precedes the run.finished behind it (one partition, in order): caught up means complete.
            dlq.untilCount(1, WAIT);
            List<TopicReader.Received> dead = dlq.untilCaughtUp(WAIT);
            assertEquals(1, dead.size(), "only the unknown type is dead-lettered");
            String reason = dead.get(0).header(DeadLetters.H_REASON);
            assertTrue(reason.startsWith("ce_type: must be one of io.trainwatch.epoch.completed"), reason);
            assertTrue(reason.endsWith("was \"io.trainwatch.epoch.exploded\""), reason);
        }
    }

    /** Sends as a producer built before the prefix did: the bare ce_type and no ce_dataschema. */
    private static void sendAsLegacyProducer(io.trainwatch.contracts.TrainwatchEvent event, String bareType) {
        Map<String, String> headers = new java.util.LinkedHashMap<>(CloudEvents.headers(event, CloudEvents.newId(),
                "/trainwatch/trainer-host", Instant.now()));
        headers.put(CloudEvents.H_TYPE, bareType);
        headers.remove(CloudEvents.H_DATASCHEMA);
        KafkaTestClient.sendRaw(Topics.RUN_EVENTS, event.runId(), headers, EventCodec.instance().encode(event));
    }

    private static EpochCompleted withoutTotal(EpochCompleted e) {
        // total_epochs is a run property: it is stored on the run, not repeated on every epoch.
        return new EpochCompleted(e.schemaVersion(), e.runId(), e.epoch(), null, e.globalStep(), e.emittedAt(),
                e.trainLoss(), e.valLoss(), e.trainAccuracy(), e.valAccuracy(), e.learningRate(), e.durationMs(),
                e.samplesPerSecond(), e.gradNorm(), e.gradNormMax(), e.layerGradNorms(), e.paramNorm(),
                e.clippedSteps(), e.memoryBytes(), e.extra());
    }

    static com.fasterxml.jackson.databind.JsonNode readTree(byte[] body) {
        try {
            return EventCodec.newMapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
