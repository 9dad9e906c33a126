package io.trainwatch.metrics;

import io.trainwatch.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.contracts.AlertOpened;
import io.trainwatch.contracts.AlertResolved;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunHeartbeat;
import io.trainwatch.contracts.Topics;
import io.restassured.http.ContentType;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Liveness: a running run that goes silent turns `stalled` (with an alert) and `running` again when it sends (the
 * alert resolved): an epoch, or a heartbeat over HTTP or Kafka, which stores nothing else.
 */
@QuarkusTest
@TestProfile(ShortLifecycleLimits.class)
@QuarkusTestResource(LocalStackTestResource.class)
class StalledRunTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void aSilentRunIsStalledAndRunsAgainWhenAnEpochArrivesWithItsAlertResolved() {
        String runId = TestRuns.newRunId("stalled");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-stalled", 10));
        // 100 ms epochs: 5 x the median is far below the 2 s floor, so the floor decides.
        KafkaTestClient.send(Topics.RUN_EVENTS, EpochCompleted.builder(runId, 0).optTrainLoss(0.9).optDurationMs(100L).build());
        try (TopicReader insights = KafkaTestClient.reader(Topics.RUN_INSIGHTS)) {
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                    .statusCode(200).body("status", equalTo("stalled")));
            given().queryParam("status", "stalled").get("/api/v1/runs").then().statusCode(200);
            List<TopicReader.Received> alerts = insights.until(r -> runId.equals(r.key()) && "io.trainwatch.alert.opened".equals(r.header("ce_type")),
                    Duration.ofSeconds(30));
            assertFalse(alerts.isEmpty(), "no alert.opened for the stalled run within 30 s");
            assertEquals("stalled", EventCodec.instance().decode(alerts.get(0).value(), AlertOpened.class).kind());
            KafkaTestClient.send(Topics.RUN_EVENTS, EpochCompleted.builder(runId, 1).optTrainLoss(0.8).optDurationMs(100L).build());
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                    .body("status", equalTo("running")).body("latest_epoch", equalTo(1)));
            List<TopicReader.Received> resolved = insights.until(r -> runId.equals(r.key())
                    && "io.trainwatch.alert.resolved".equals(r.header("ce_type")), Duration.ofSeconds(30));
            assertFalse(resolved.isEmpty(), "no alert.resolved for the resumed run within 30 s");
            AlertResolved alert = EventCodec.instance().decode(resolved.get(0).value(), AlertResolved.class);
            assertEquals("stalled", alert.kind());
            assertEquals("stalled", alert.alertId());
        }
    }

    @Test
    void aHeartbeatOverHttpMakesAStalledRunRunningWithoutStoringAnEpoch() {
        String runId = stalledRun("heartbeat-http");
        given().contentType(ContentType.JSON).post("/api/v1/runs/{id}/heartbeat", runId).then().statusCode(202)
                .body("run_id", equalTo(runId)).body("accepted", equalTo(1));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("running")).body("latest_epoch", equalTo(0)).body("epochs_recorded", equalTo(1)));
        // {} is a heartbeat too; a run not stored is not found.
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/runs/{id}/heartbeat", runId).then().statusCode(202);
        given().contentType(ContentType.JSON).post("/api/v1/runs/{id}/heartbeat", "no-such-run").then().statusCode(404);
        given().contentType(ContentType.JSON).body("{\"run_id\":\"other\"}").post("/api/v1/runs/{id}/heartbeat", runId)
                .then().statusCode(422).body("errors[0].field", equalTo("run_id"));
    }

    @Test
    void aHeartbeatOverKafkaMakesAStalledRunRunning() {
        String runId = stalledRun("heartbeat-kafka");
        KafkaTestClient.send(Topics.RUN_EVENTS, RunHeartbeat.of(runId));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("running")).body("epochs_recorded", equalTo(1)));
    }

    /** A run with one 100 ms epoch, once the 2 s floor has made it stalled. */
    private static String stalledRun(String prefix) {
        String runId = TestRuns.newRunId(prefix);
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-stalled", 10));
        KafkaTestClient.send(Topics.RUN_EVENTS, EpochCompleted.builder(runId, 0).optTrainLoss(0.9).optDurationMs(100L).build());
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .statusCode(200).body("status", equalTo("stalled")));
        return runId;
    }
}
