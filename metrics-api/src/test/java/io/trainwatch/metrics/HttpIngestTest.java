package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

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
}
