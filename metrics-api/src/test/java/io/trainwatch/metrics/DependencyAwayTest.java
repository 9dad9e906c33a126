package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka away: HTTP ingest answers 503 with Retry-After within the bounded send timeout (not after the client's
 * 120 s default, not 500), and takes events again once the broker is back. Stops the shared test broker.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class DependencyAwayTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    /** delivery.timeout.ms is 5 s; anything near the 120 s default means the bound is not applied. */
    private static final Duration SEND_BOUND = Duration.ofSeconds(30);

    @Test
    void kafkaAwayIs503WithRetryAfterAndIngestResumesWhenItIsBack() {
        String runId = TestRuns.newRunId("kafka-away");
        given().contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.9}")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));

        Stack stack = LocalStackTestResource.stack();
        String fifty = IntStream.rangeClosed(1, 50).mapToObj(e -> "{\"epoch\":" + e + ",\"train_loss\":0.5}")
                .collect(Collectors.joining(",", "[", "]"));
        stack.stopKafka();
        try {
            long begin = System.nanoTime();
            given().contentType(ContentType.JSON).body(fifty)
                    .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "2")
                    .body("type", equalTo("urn:trainwatch:problem:unavailable"));
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            assertTrue(took.compareTo(SEND_BOUND) < 0, "503 came after " + took);
            given().contentType(ContentType.JSON).body("{\"reason\":\"stop\"}").post("/api/v1/runs/{id}/cancel", runId)
                    .then().statusCode(503).header("Retry-After", "2");
        } finally {
            stack.startKafka();
        }
        // 503 does not say "nothing stored": records already handed to the producer may still reach Kafka. The
        // client retries the same request as told; epochs upsert on their key, so each is stored once.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                given().contentType(ContentType.JSON).body(fifty)
                        .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202));
        List<Integer> all = IntStream.rangeClosed(0, 50).boxed().toList();
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .statusCode(200).body("epochs.epoch", equalTo(all)));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200)
                .body("checks.status", hasItems("UP")));
    }
}
