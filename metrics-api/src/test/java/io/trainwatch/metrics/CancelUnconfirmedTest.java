package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.trainwatch.contracts.AlertOpened;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.Severity;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A cancel no trainer confirms: `cancelling` turns `cancel_unconfirmed` with an alert; a late run.finished still ends it. */
@QuarkusTest
@TestProfile(ShortLifecycleLimits.class)
@QuarkusTestResource(LocalStackTestResource.class)
class CancelUnconfirmedTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void anUnconfirmedCancelIsShownAndAlertedAndALateFinishStillEndsTheRun() {
        String runId = TestRuns.newRunId("unconfirmed");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-unconfirmed", 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));
        try (KafkaConsumer<String, byte[]> insights = KafkaTestClient.consumer(Topics.RUN_INSIGHTS)) {
            given().contentType(ContentType.JSON).body("{\"reason\":\"stop\"}").post("/api/v1/runs/{id}/cancel", runId)
                    .then().statusCode(202).body("status", equalTo("cancelling"));
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                    .body("status", equalTo("cancel_unconfirmed")).body("cancel.reason", equalTo("stop")));
            given().queryParam("status", "cancel_unconfirmed").get("/api/v1/runs").then().statusCode(200);

            List<ConsumerRecord<String, byte[]>> alerts = KafkaTestClient.pollUntil(insights,
                    r -> runId.equals(r.key()) && "io.trainwatch.alert.opened".equals(KafkaTestClient.header(r, "ce_type"))
                            && "cancel_unconfirmed".equals(EventCodec.instance().decode(r.value(), AlertOpened.class).kind()),
                    Duration.ofSeconds(30));
            assertFalse(alerts.isEmpty(), "no alert.opened for the unconfirmed cancel within 30 s");
            AlertOpened alert = EventCodec.instance().decode(alerts.get(0).value(), AlertOpened.class);
            assertEquals("cancel_unconfirmed", alert.kind());
            assertEquals(Severity.WARNING, alert.severity());
        }
        // The cancel stays pending: asking again is allowed, and the trainer's late word ends the run.
        given().contentType(ContentType.JSON).body("{\"reason\":\"stop, again\"}").post("/api/v1/runs/{id}/cancel", runId)
                .then().statusCode(202);
        KafkaTestClient.send(Topics.RUN_EVENTS, new RunFinished(1, runId, RunStatus.CANCELLED, "stop", 3, "agent", null));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("cancelled")));
    }
}
