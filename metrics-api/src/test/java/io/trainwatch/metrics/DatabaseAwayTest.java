package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * PostgreSQL away: reads answer 503 with Retry-After, never 500; readiness is DOWN; once it is back the app
 * reconnects by itself. Stops the shared test PostgreSQL.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class DatabaseAwayTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void readsAnswer503WhileTheDatabaseIsAwayAndRecoverWithoutARestart() {
        String runId = TestRuns.newRunId("db-away");
        KafkaTestClient.send(io.trainwatch.contracts.Topics.RUN_EVENTS, TestRuns.started(runId, "proj-db-away", 3));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));

        Stack stack = LocalStackTestResource.stack();
        stack.stopPostgres();
        try {
            for (String path : new String[]{"/api/v1/runs", "/api/v1/runs/" + runId, "/api/v1/runs/" + runId + "/metrics"}) {
                given().get(path).then().statusCode(503).contentType("application/problem+json")
                        .header("Retry-After", "2")
                        .body("type", equalTo("urn:trainwatch:problem:unavailable"))
                        .body("detail", equalTo("the database is unavailable; retry later"));
            }
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(503));
        } finally {
            stack.startPostgres();
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .statusCode(200).body("run_id", equalTo(runId)));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
    }
}
