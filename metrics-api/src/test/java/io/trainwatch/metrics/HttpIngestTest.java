package io.trainwatch.metrics;

import io.trainwatch.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.Limits;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** HTTP ingest: validated, published to Kafka, stored by the consumer (one write path). */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class HttpIngestTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void acceptedThenVisible() {
        String runId = TestRuns.newRunId("http");
        given().contentType(ContentType.JSON)
                .body("{\"run_id\":\"" + runId + "\",\"name\":\"posted\",\"project\":\"proj-http\",\"total_epochs\":3}")
                .post("/api/v1/runs").then().statusCode(202).body("run_id", equalTo(runId)).body("ce_ids", hasSize(1));
        given().contentType(ContentType.JSON)
                .body("[{\"epoch\":0,\"train_loss\":0.9,\"val_loss\":\"NaN\"},{\"epoch\":1,\"train_loss\":0.7},"
                        + "{\"run_id\":\"" + runId + "\",\"epoch\":2,\"train_loss\":0.5}]")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202).body("accepted", equalTo(3));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .statusCode(200).body("epochs.epoch", equalTo(List.of(0, 1, 2)))
                .body("epochs[0].val_loss", equalTo("NaN")));
        given().get("/api/v1/runs/{id}", runId).then().body("name", equalTo("posted")).body("total_epochs", equalTo(3));

        given().contentType(ContentType.JSON).body("{\"status\":\"completed\",\"reason\":\"all epochs\"}")
                .post("/api/v1/runs/{id}/finish", runId).then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("completed")));
    }

    @Test
    void invalidFieldsAre422NamingTheField() {
        given().contentType(ContentType.JSON).body("{\"epoch\":-3}").post("/api/v1/runs/{id}/metrics", "r1").then()
                .statusCode(422).contentType("application/problem+json")
                .body("status", equalTo(422)).body("errors[0].field", equalTo("epoch"))
                .body("errors[0].message", containsString("must be >= 0")).body("detail", containsString("epoch"));
        given().contentType(ContentType.JSON).body("[{\"epoch\":1},{\"train_loss\":0.3}]")
                .post("/api/v1/runs/{id}/metrics", "r1").then().statusCode(422)
                .body("errors[0].field", equalTo("[1].epoch")).body("errors[0].message", equalTo("is required"));
        given().contentType(ContentType.JSON).body("{\"run_id\":\"other\",\"epoch\":1}")
                .post("/api/v1/runs/{id}/metrics", "r1").then().statusCode(422).body("errors[0].field", equalTo("run_id"));
        given().contentType(ContentType.JSON).body("{\"status\":\"exploded\"}")
                .post("/api/v1/runs/{id}/finish", "r1").then().statusCode(422).body("errors[0].field", equalTo("status"));
        given().contentType(ContentType.JSON).body("{\"name\":\"no id\"}").post("/api/v1/runs").then()
                .statusCode(422).body("errors[0].field", equalTo("run_id"));
    }

    @Test
    void malformedJsonIs400() {
        given().contentType(ContentType.JSON).body("{\"epoch\": 1,").post("/api/v1/runs/{id}/metrics", "r1").then()
                .statusCode(400).contentType("application/problem+json").body("title", equalTo("Malformed JSON"));
        given().contentType(ContentType.JSON).body("").post("/api/v1/runs").then().statusCode(400);
    }

    @Test
    void stepsArePostedLikeEpochs() {
        String runId = TestRuns.newRunId("http-steps");
        given().contentType(ContentType.JSON).body("{\"global_step\":10,\"epoch\":0,\"loss\":0.8}")
                .post("/api/v1/runs/{id}/steps", runId).then().statusCode(202).body("accepted", equalTo(1))
                .body("control.status", equalTo("running"));
        given().contentType(ContentType.JSON)
                .body("[{\"global_step\":20,\"loss\":0.6,\"learning_rate\":0.01},{\"run_id\":\"" + runId
                        + "\",\"global_step\":30,\"loss\":\"NaN\"}]")
                .post("/api/v1/runs/{id}/steps", runId).then().statusCode(202).body("accepted", equalTo(2));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/steps", runId).then()
                .statusCode(200).body("steps.global_step", equalTo(List.of(10, 20, 30)))
                .body("steps[2].loss", equalTo("NaN")));

        given().contentType(ContentType.JSON).body("[{\"global_step\":1},{\"loss\":0.3}]")
                .post("/api/v1/runs/{id}/steps", runId).then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].field", equalTo("[1].global_step")).body("errors[0].message", equalTo("is required"));
        given().contentType(ContentType.JSON).body("{\"global_step\":-1}")
                .post("/api/v1/runs/{id}/steps", runId).then().statusCode(422).body("errors[0].field", equalTo("global_step"));
    }

    @Test
    void eventIdBecomesTheCeIdSoARetryIsOneEvent() {
        String runId = TestRuns.newRunId("http-ids");
        String started = "{\"event_id\":\"start-" + runId + "\",\"run_id\":\"" + runId + "\",\"name\":\"ids\"}";
        String epochs = "[{\"event_id\":\"e0:" + runId + "\",\"epoch\":0,\"train_loss\":0.9},"
                + "{\"event_id\":\"e1:" + runId + "\",\"epoch\":1,\"train_loss\":0.8}]";
        try (TopicReader events = KafkaTestClient.reader(Topics.RUN_EVENTS, runId)) {
            for (int attempt = 0; attempt < 2; attempt++) {
                // A client retrying after a lost answer sends the same request again: same ids, same answer.
                given().contentType(ContentType.JSON).body(started).post("/api/v1/runs").then().statusCode(202)
                        .body("ce_ids", equalTo(List.of("start-" + runId)));
                given().contentType(ContentType.JSON).body(epochs).post("/api/v1/runs/{id}/metrics", runId).then()
                        .statusCode(202).body("ce_ids", equalTo(List.of("e0:" + runId, "e1:" + runId)));
            }
            List<String> ceIds = events.untilCount(6, IngestTest.WAIT).stream().map(r -> r.header(CloudEvents.H_ID)).toList();
            assertEquals(6, ceIds.size(), ceIds::toString);
            assertEquals(List.of("start-" + runId, "e0:" + runId, "e1:" + runId), ceIds.subList(0, 3));
            assertEquals(ceIds.subList(0, 3), ceIds.subList(3, 6));
        }
        given().get("/api/v1/runs/{id}/metrics", runId).then().body("epochs.epoch", equalTo(List.of(0, 1)));
        // The event id is the envelope's, not part of the stored event.
        given().get("/api/v1/runs/{id}", runId).then().body("name", equalTo("ids"));
    }

    @Test
    void badEventIdsAre422NamingTheField() {
        given().contentType(ContentType.JSON).body("[{\"epoch\":0,\"event_id\":\"ok-1\"},{\"epoch\":1,\"event_id\":\"no spaces\"}]")
                .post("/api/v1/runs/{id}/metrics", "r1").then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].field", equalTo("[1].event_id")).body("errors[0].message", containsString("letters, digits"));
        given().contentType(ContentType.JSON).body("{\"epoch\":0,\"event_id\":\"" + "x".repeat(129) + "\"}")
                .post("/api/v1/runs/{id}/metrics", "r1").then().statusCode(422)
                .body("errors[0].field", equalTo("event_id")).body("errors[0].message", containsString("at most 128"));
        given().contentType(ContentType.JSON).body("{\"run_id\":\"r1\",\"event_id\":7}").post("/api/v1/runs").then()
                .statusCode(422).body("errors[0].field", equalTo("event_id"));
        given().contentType(ContentType.JSON).body("{\"event_id\":\"\",\"status\":\"completed\"}")
                .post("/api/v1/runs/{id}/finish", "r1").then().statusCode(422).body("errors[0].field", equalTo("event_id"));
    }

    @Test
    void moreThanTheEventLimitIs413AndNothingIsPublished() {
        String runId = TestRuns.newRunId("http-limit");
        StringBuilder tooMany = new StringBuilder("[");
        for (int e = 0; e <= Limits.MAX_EVENTS_PER_REQUEST; e++) {
            tooMany.append(e == 0 ? "" : ",").append("{\"epoch\":").append(e + 1).append(",\"train_loss\":0.5}");
        }
        given().contentType(ContentType.JSON).body(tooMany.append("]").toString())
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(413).contentType("application/problem+json")
                .body("status", equalTo(413)).body("errors[0].field", equalTo("$"))
                .body("errors[0].message", containsString("at most 1000 events"))
                .body("detail", containsString("1001"));
        // Same key, same partition: had any of the refused epochs been published, they would be stored before this one.
        given().contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.9}")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .body("epochs.epoch", equalTo(List.of(0))));

        String padding = "x".repeat(Limits.MAX_REQUEST_BYTES);
        given().contentType(ContentType.JSON).body("{\"epoch\":1,\"pad\":\"" + padding + "\"}")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(413).contentType("application/problem+json")
                .body("errors[0].field", equalTo("$")).body("errors[0].message", containsString("at most 4194304 bytes"));
    }
}
