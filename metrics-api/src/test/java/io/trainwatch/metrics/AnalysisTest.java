package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
import io.trainwatch.testsupport.TopicReader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.analysis.AnalysisSettings;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Analysis on write: stored verdicts and alerts, independent of arrival order, published to the insights topic. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class AnalysisTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @TestHTTPResource("/")
    URL base;

    /** Training loss keeps falling; validation loss bottoms out at epoch 30 and rises after: overfitting. */
    static EpochCompleted overfitting(String runId, int e) {
        double train = 1.0 / (1 + 0.1 * e);
        double val = e <= 30 ? 0.9 / (1 + 0.1 * e) + 0.1 : 0.9 / 4.0 + 0.1 + 0.012 * (e - 30);
        return EpochCompleted.builder(runId, e).optTotalEpochs(60).optTrainLoss(train).optValLoss(val)
                .optLearningRate(0.001).optDurationMs(900L).optGlobalStep((e + 1) * 30L).build();
    }

    @Test
    void verdictIsStoredAndTheSameWhateverTheArrivalOrder() {
        String inOrder = TestRuns.newRunId("analysis-a");
        String shuffled = TestRuns.newRunId("analysis-b");
        try (TopicReader insights = KafkaTestClient.reader(Topics.RUN_INSIGHTS)) {
            for (int e = 0; e < 50; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(inOrder, e));
            }
            List<Integer> order = new ArrayList<>();
            for (int e = 0; e < 50; e++) {
                order.add(e);
            }
            Collections.shuffle(order, new Random(7));
            for (int e : order) {
                String id = CloudEvents.newId();
                KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(shuffled, e), id);
                KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(shuffled, e), id);
            }
            for (String run : List.of(inOrder, shuffled)) {
                await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", run)
                        .then().statusCode(200).body("epoch", equalTo(49)).body("run_id", equalTo(run))
                        .body("status", equalTo("running")).body("recommendation.action", notNullValue()));
            }
            JsonNode a = verdict(inOrder);
            JsonNode b = verdict(shuffled);
            assertEquals(a, b, "the verdict depends on the data only");
            assertEquals(30, a.get("best_epoch").asInt());
            assertFalse(a.get("alerts").isEmpty(), "an overfitting run raises an alert: " + a.get("alerts"));
            given().get("/api/v1/runs/{id}/alerts", inOrder).then().statusCode(200)
                    .body("alerts.size()", equalTo(given().get("/api/v1/runs/{id}/alerts", shuffled).then()
                            .extract().jsonPath().getList("alerts").size()));
            given().get("/api/v1/runs/{id}", inOrder).then().body("analysis.best_epoch", equalTo(30));

            List<TopicReader.Received> updates = insights.until(
                    r -> inOrder.equals(r.key()) && "io.trainwatch.analysis.updated".equals(r.header(CloudEvents.H_TYPE)),
                    Duration.ofSeconds(30));
            assertFalse(updates.isEmpty(), "analysis.updated published on " + Topics.RUN_INSIGHTS);
        }
    }

    @Test
    void runWithoutEpochsHasAnEmptyVerdictAndUnknownThresholdsAre422() {
        String runId = TestRuns.newRunId("analysis-empty");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-analysis", 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().statusCode(200).body("run_id", equalTo(runId)));
        given().contentType(ContentType.JSON).body("{\"run_id\":\"x1\",\"monitor\":{\"thresholds\":{\"no.such.rule\":1}}}")
                .post("/api/v1/runs").then().statusCode(422).body("errors[0].field", equalTo("monitor"));
        given().get("/api/v1/runs/{id}/analysis", "no-such-run").then().statusCode(404);
    }

    /** A poller that has the verdict gets 304 and no body until a new epoch changes it; the ETag is strong. */
    @Test
    void analysisHasAStrongEtagAnd304UntilTheVerdictChanges() {
        String runId = TestRuns.newRunId("analysis-etag");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-analysis", 60));
        for (int e = 0; e < 10; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(runId, e));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().statusCode(200).body("epoch", equalTo(9)));
        String etag = given().get("/api/v1/runs/{id}/analysis", runId).then().statusCode(200)
                .header("Cache-Control", equalTo("no-cache")).extract().header("ETag");
        assertNotNull(etag, "ETag header");
        assertTrue(etag.startsWith("\"") && etag.endsWith("\""), "a strong (unweak, quoted) ETag: " + etag);
        assertEquals(etag, given().get("/api/v1/runs/{id}/analysis", runId).then().extract().header("ETag"),
                "the same verdict has the same ETag");
        byte[] notModified = given().header("If-None-Match", etag).get("/api/v1/runs/{id}/analysis", runId).then()
                .statusCode(304).header("ETag", equalTo(etag)).extract().asByteArray();
        assertEquals(0, notModified.length, "304 carries no body");
        given().header("If-None-Match", "\"something-else\"").get("/api/v1/runs/{id}/analysis", runId).then()
                .statusCode(200).body("epoch", equalTo(9));

        KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(runId, 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().header("If-None-Match", etag)
                .get("/api/v1/runs/{id}/analysis", runId).then().statusCode(200).body("epoch", equalTo(10)));
        String next = given().get("/api/v1/runs/{id}/analysis", runId).then().extract().header("ETag");
        assertFalse(etag.equals(next), "a new verdict has a new ETag");
    }

    /** Gradients explode at epochs 5 and 6, then recover: the alert opens, then resolves, everywhere it is shown. */
    @Test
    void alertOpensThenResolvesWhenTheDataTurnsOnRestSseAndTheInsightsTopic() throws Exception {
        String runId = TestRuns.newRunId("analysis-alert");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-analysis", 20));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));
        URI events = base.toURI().resolve("/api/v1/runs/" + runId + "/events");
        try (TopicReader insights = KafkaTestClient.reader(Topics.RUN_INSIGHTS);
             SseClient sse = SseClient.to(events).authorization(TestAuth.HEADER).open()) {
            for (int e = 0; e < 7; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, withGradNorm(runId, e, e >= 5 ? 500.0 : 1.0));
            }
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/alerts", runId).then()
                    .statusCode(200).body("alerts.find { it.kind == 'gradients.exploding' }.opened_epoch", equalTo(5))
                    .body("alerts.find { it.kind == 'gradients.exploding' }.resolved_epoch", nullValue()));

            for (int e = 7; e < 10; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, withGradNorm(runId, e, 1.0));
            }
            // Normal again from epoch 7; the alert resolves once the condition has been absent alerts.resolve_epochs
            // epochs running (the engine's hysteresis): epoch 9 with the default 3.
            int resolved = 7 + (int) AnalysisSettings.defaults().threshold("alerts.resolve_epochs") - 1;
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/alerts", runId).then()
                    .statusCode(200).body("alerts.find { it.kind == 'gradients.exploding' }.resolved_epoch",
                            equalTo(resolved)));

            java.util.function.Predicate<TopicReader.Received> exploding = r -> runId.equals(r.key())
                    && r.header(CloudEvents.H_TYPE).startsWith("io.trainwatch.alert.") && r.text().contains("gradients.exploding");
            insights.until(exploding.and(r -> "io.trainwatch.alert.resolved".equals(r.header(CloudEvents.H_TYPE))), Duration.ofSeconds(30));
            List<String> transitions = insights.matching(exploding).stream().map(r -> r.header(CloudEvents.H_TYPE)).toList();
            assertEquals(List.of("io.trainwatch.alert.opened", "io.trainwatch.alert.resolved"), transitions, "published once each, in order");

            SseClient.Event alert;
            do { // other kinds (e.g. an info about the synthetic loss curve) may come first
                alert = sse.next(Duration.ofSeconds(30));
                assertNotNull(alert, "a gradients.exploding alert event on the run's stream");
            } while (!("alert".equals(alert.type()) && alert.data().contains("gradients.exploding")));
            assertTrue(alert.data().contains("\"severity\":\"critical\""), alert.data());
        }
    }

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    @jakarta.inject.Inject
    io.trainwatch.metrics.analysis.AnalysisCatchUp catchUp;

    @Test
    void aVerdictLeftBehindByACrashIsCaughtUpFromTheStoredHistory() {
        String runId = TestRuns.newRunId("analysis-catch-up");
        for (int e = 0; e < 40; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, overfitting(runId, e));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().statusCode(200).body("epoch", equalTo(39)));
        JsonNode before = verdict(runId);
        // As if the replica had stopped after the rows' commit and before the analysis: a stale verdict (epoch 20)
        // stays behind the stored epochs, and no event of the (ended) run will come to refresh it.
        pool.preparedQuery("UPDATE run_analysis SET epoch = 20, verdict = jsonb_set(verdict, '{epoch}', '20') "
                        + "WHERE run_key = (SELECT run_key FROM runs WHERE id = $1)")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(runId)).await().atMost(Duration.ofSeconds(10));
        given().get("/api/v1/runs/{id}/analysis", runId).then().statusCode(200).body("epoch", equalTo(20));

        int caughtUp = catchUp.catchUp().await().atMost(Duration.ofSeconds(30));

        assertTrue(caughtUp >= 1, "at least this run was behind, was " + caughtUp);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().statusCode(200).body("epoch", equalTo(39)));
        assertEquals(before, verdict(runId), "the caught-up verdict is the one the live analysis gave");
    }

    @Test
    void anAlertRaisedOnlyByAnIncompleteHistoryIsWithdrawnOnSse() throws Exception {
        String runId = TestRuns.newRunId("analysis-withdraw");
        // Epochs 0-4 fall, then epoch 10 arrives early with a loss three times as high: a spike, for now. Epochs 5-9
        // then rise steadily to it, and the complete history shows a sustained rise instead, with no spike at 10.
        double[] val = new double[11];
        for (int e = 0; e < 5; e++) {
            val[e] = 1.0 - 0.02 * e;
        }
        for (int e = 5; e < 10; e++) {
            val[e] = 1.2 + 0.3 * (e - 5);
        }
        val[10] = 3.0;
        java.util.function.IntFunction<EpochCompleted> epoch = e -> EpochCompleted.builder(runId, e).optTotalEpochs(40)
                .optTrainLoss(val[e] * 0.9).optValLoss(val[e]).build();
        for (int e : new int[]{0, 1, 2, 3, 4, 10}) {
            KafkaTestClient.send(Topics.RUN_EVENTS, epoch.apply(e));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/alerts", runId).then()
                .statusCode(200).body("alerts.find { it.id == 'divergence.spike@10' }.resolved_epoch", nullValue())
                .body("alerts.find { it.id == 'divergence.spike@10' }.kind", equalTo("divergence.spike")));
        URI uri = base.toURI().resolve("/api/v1/runs/" + runId + "/events?types=alert");
        try (SseClient sse = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            for (int e = 5; e < 10; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, epoch.apply(e));
            }
            SseClient.Event withdrawn;
            do {
                withdrawn = sse.next(Duration.ofSeconds(30));
                assertNotNull(withdrawn, "an alert event withdraws divergence.spike@10");
            } while (!withdrawn.data().contains("\"divergence.spike@10\""));
            JsonNode a = IngestTest.readTree(withdrawn.data().getBytes());
            assertEquals("resolved", a.get("state").asText(), withdrawn.data());
            assertTrue(a.get("message").asText().startsWith("withdrawn:"), withdrawn.data());
        }
        // The alert list is the complete history's, as if the epochs had come in order.
        given().get("/api/v1/runs/{id}/alerts", runId).then().statusCode(200)
                .body("alerts.find { it.id == 'divergence.spike@10' }", nullValue())
                .body("alerts.find { it.id == 'divergence.sustained_rise@9' }.kind", equalTo("divergence.sustained_rise"));
    }

    private static EpochCompleted withGradNorm(String runId, int e, double gradNorm) {
        return EpochCompleted.builder(runId, e).optTotalEpochs(20).optTrainLoss(1.0 / (1 + e)).optValLoss(1.1 / (1 + e))
                .optGradNorm(gradNorm).optGradNormMax(gradNorm * 1.5).optLearningRate(0.001).optDurationMs(500L).build();
    }

    private static JsonNode verdict(String runId) {
        ObjectNode v = (ObjectNode) IngestTest.readTree(given().get("/api/v1/runs/{id}/analysis", runId).then()
                .statusCode(200).extract().asByteArray());
        v.remove("run_id");
        return v;
    }
}
