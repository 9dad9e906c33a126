package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Cancel: publishes run.cancel-requested on the control topic and shows `cancelling` until run.finished. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class CancelTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void cancelPublishesOnTheControlTopicAndTheRunShowsCancellingUntilFinished() {
        String runId = TestRuns.newRunId("cancel");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-cancel", 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));
        try (KafkaConsumer<String, byte[]> control = KafkaTestClient.consumer(Topics.RUN_CONTROL)) {
            String cancelId = given().contentType(ContentType.JSON)
                    .body("{\"reason\":\"overfitting since epoch 30\",\"requested_by\":\"agent-7\"}")
                    .post("/api/v1/runs/{id}/cancel", runId).then().statusCode(202).body("status", equalTo("cancelling"))
                    .body("cancel_id", startsWith("c-")).extract().path("cancel_id");
            given().get("/api/v1/runs/{id}", runId).then().body("status", equalTo("cancelling"))
                    .body("cancel.reason", equalTo("overfitting since epoch 30"))
                    .body("cancel.requested_by", equalTo("test-admin"));

            List<ConsumerRecord<String, byte[]>> records = KafkaTestClient.pollUntil(control,
                    r -> runId.equals(r.key()), Duration.ofSeconds(30));
            assertEquals(1, records.size());
            ConsumerRecord<String, byte[]> r = records.get(0);
            assertEquals("io.trainwatch.run.cancel-requested", KafkaTestClient.header(r, CloudEvents.H_TYPE));
            assertEquals(runId, KafkaTestClient.header(r, CloudEvents.H_SUBJECT));
            RunCancelRequested sent = EventCodec.instance().decode(r.value(), RunCancelRequested.class);
            assertEquals("overfitting since epoch 30", sent.reason());
            assertEquals("test-admin", sent.requestedBy(), "the token's name, not the client's requested_by");
            assertEquals(cancelId, sent.cancelId(), "the control record carries the id the caller was given");
        }
        // The trainer stops and says so; its status wins over `cancelling`.
        KafkaTestClient.send(Topics.RUN_EVENTS, new RunFinished(1, runId, RunStatus.CANCELLED, "cancelled by agent-7", 4,
                "agent-7", null));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("cancelled")));
        given().contentType(ContentType.JSON).body("{\"reason\":\"again\"}").post("/api/v1/runs/{id}/cancel", runId)
                .then().statusCode(409).contentType("application/problem+json");
    }

    @Test
    void missingReasonIs422AndUnknownRunIs404() {
        given().contentType(ContentType.JSON).body("{\"requested_by\":\"agent\"}").post("/api/v1/runs/{id}/cancel", "any-run")
                .then().statusCode(422).body("errors[0].field", equalTo("reason"));
        given().contentType(ContentType.JSON).body("{\"reason\":\"why not\"}").post("/api/v1/runs/{id}/cancel", "no-such-run")
                .then().statusCode(404).contentType("application/problem+json");
    }
}
