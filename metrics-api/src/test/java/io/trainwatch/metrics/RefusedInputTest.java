package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Accepted means stored: what PostgreSQL or the resources would misread is refused before anything is published,
 * with a 4xx problem+json naming the field, never a 202 followed by a dead letter, never a 500.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class RefusedInputTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    private static final String PROBLEM = "application/problem+json";

    @Test
    void nulInABodyFieldIs422NamingTheField() {
        String runId = TestRuns.newRunId("nul");
        given().contentType(ContentType.JSON).body("{\"run_id\":\"" + runId + "\",\"name\":\"a\\u0000b\"}")
                .post("/api/v1/runs").then().statusCode(422).contentType(PROBLEM)
                .body("errors[0].field", equalTo("name")).body("errors[0].message", containsString("NUL"));
        given().contentType(ContentType.JSON).body("{\"status\":\"failed\",\"reason\":\"oom\\u0000\"}")
                .post("/api/v1/runs/{id}/finish", runId).then().statusCode(422)
                .body("errors[0].field", equalTo("reason"));
        given().contentType(ContentType.JSON).body("[{\"epoch\":0},{\"epoch\":1,\"extra\":{\"f\\u0000\":1.0}}]")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(422)
                .body("errors[0].field", equalTo("[1].extra"));
        given().contentType(ContentType.JSON).body("{\"run_id\":\"" + runId + "\",\"hyperparameters\":{\"opt\":\"\\ud800\"}}")
                .post("/api/v1/runs").then().statusCode(422)
                .body("errors[0].field", equalTo("hyperparameters.opt"))
                .body("errors[0].message", containsString("lone surrogate"));
        // Nothing of it was published: the run does not exist.
        given().get("/api/v1/runs/{id}", runId).then().statusCode(404);
    }

    @Test
    void nulInAQueryOrPathParameterIs400NamingTheParameter() {
        given().queryParam("project", "a\u0000b").get("/api/v1/runs").then().statusCode(400).contentType(PROBLEM)
                .body("errors[0].field", equalTo("project")).body("errors[0].message", containsString("NUL"));
        given().queryParam("fields", "val_loss\u0000").get("/api/v1/runs/{id}/metrics", "r1").then().statusCode(400)
                .body("errors[0].field", equalTo("fields"));
        given().get("/api/v1/runs/{id}", "a\u0000b").then().statusCode(400).contentType(PROBLEM)
                .body("type", equalTo("urn:trainwatch:problem:invalid-path-parameter"))
                .body("errors[0].field", equalTo("id"));
    }

    @Test
    void trailingContentAfterTheJsonIs400() {
        given().contentType(ContentType.JSON).body("{\"epoch\":1} {\"epoch\":2}").post("/api/v1/runs/{id}/metrics", "r1")
                .then().statusCode(400).contentType(PROBLEM).body("title", equalTo("Malformed JSON"))
                .body("detail", containsString("Trailing token"));
        given().contentType(ContentType.JSON).body("[{\"epoch\":1}]garbage").post("/api/v1/runs/{id}/metrics", "r1")
                .then().statusCode(400);
    }

    @Test
    void runIdOfTheWrongJsonTypeIs422NamingRunId() {
        given().contentType(ContentType.JSON).body("{\"run_id\":12345}").post("/api/v1/runs").then().statusCode(422)
                .body("errors[0].field", equalTo("run_id")).body("errors[0].message", containsString("must be a string"));
        given().contentType(ContentType.JSON).body("{\"run_id\":true}").post("/api/v1/runs").then().statusCode(422)
                .body("errors[0].field", equalTo("run_id"));
        given().contentType(ContentType.JSON).body("{\"run_id\":7,\"epoch\":1}").post("/api/v1/runs/{id}/metrics", "7")
                .then().statusCode(422).body("errors[0].field", equalTo("run_id"))
                .body("errors[0].message", containsString("must be a string"));
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        given().contentType("text/plain").body("{\"epoch\":1}").post("/api/v1/runs/{id}/metrics", "r1").then()
                .statusCode(415).contentType(PROBLEM).body("errors[0].field", equalTo("Content-Type"))
                .body("errors[0].message", containsString("text/plain"));
        given().contentType("application/x-www-form-urlencoded").body("reason=x").post("/api/v1/runs/{id}/cancel", "r1")
                .then().statusCode(415).contentType(PROBLEM);
        given().body(new byte[]{'{', '}'}).post("/api/v1/runs").then().statusCode(415).contentType(PROBLEM);
        // Not a media type at all (found by the e2e fuzz corpus: it was a 500).
        given().header("Content-Type", "jsonish").body("{\"epoch\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).post("/api/v1/runs/{id}/metrics", "r1").then()
                .statusCode(415).contentType(PROBLEM).body("errors[0].field", equalTo("Content-Type"))
                .body("errors[0].message", containsString("jsonish"));
        // A charset parameter is still JSON.
        String runId = TestRuns.newRunId("charset");
        given().contentType("application/json; charset=utf-8").body("{\"run_id\":\"" + runId + "\"}")
                .post("/api/v1/runs").then().statusCode(202);
    }

    @Test
    void aPathParameterWithASemicolonIsRefusedNotTruncated() {
        String runId = TestRuns.newRunId("semi");
        given().urlEncodingEnabled(false).contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.5}")
                .post("/api/v1/runs/" + runId + ";evil=1/metrics").then().statusCode(400).contentType(PROBLEM)
                .body("errors[0].field", equalTo("id")).body("errors[0].message", containsString("';'"));
        given().urlEncodingEnabled(false).get("/api/v1/runs/" + runId + ";x").then().statusCode(400)
                .body("errors[0].field", equalTo("id"));
        // The same write without the matrix part lands; the refused one never did (one epoch, not two).
        given().contentType(ContentType.JSON).body("{\"epoch\":1,\"train_loss\":0.4}")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .statusCode(200).body("epochs.epoch", equalTo(List.of(1))));
    }
}
