package io.trainwatch.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Analysis on write: stored verdicts and alerts, independent of arrival order, published to the insights topic. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class AnalysisTest {

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
        try (KafkaConsumer<String, byte[]> insights = KafkaTestClient.consumer(Topics.RUN_INSIGHTS)) {
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

            List<ConsumerRecord<String, byte[]>> updates = KafkaTestClient.pollUntil(insights,
                    r -> inOrder.equals(r.key()) && "analysis.updated".equals(KafkaTestClient.header(r, CloudEvents.H_TYPE)),
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

    private static JsonNode verdict(String runId) {
        ObjectNode v = (ObjectNode) IngestTest.readTree(given().get("/api/v1/runs/{id}/analysis", runId).then()
                .statusCode(200).extract().asByteArray());
        v.remove("run_id");
        return v;
    }
}
