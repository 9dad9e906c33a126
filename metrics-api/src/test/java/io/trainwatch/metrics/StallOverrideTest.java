package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** A run's own `monitor.stall_after_seconds` replaces the pace-derived liveness limit (floor 20 s here). */
@QuarkusTest
@TestProfile(LivenessFloorOf20Seconds.class)
@QuarkusTestResource(LocalStackTestResource.class)
class StallOverrideTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void aRunWithA2SecondLimitStallsWhileARunWithoutOneSilentLongerDoesNot() {
        String plain = TestRuns.newRunId("stall-plain");
        String own = TestRuns.newRunId("stall-own");
        // The plain run goes silent first, so it has been silent longer than the other whenever that one stalls.
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(plain, "proj-stall-override", 10));
        KafkaTestClient.send(Topics.RUN_EVENTS, EpochCompleted.builder(plain, 0).optTrainLoss(0.9).optDurationMs(100L).build());
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", plain).then()
                .statusCode(200).body("status", equalTo("running")));
        RunStarted started = TestRuns.started(own, "proj-stall-override", 10);
        KafkaTestClient.send(Topics.RUN_EVENTS, new RunStarted(1, own, started.name(), started.project(), started.tags(),
                started.model(), started.hyperparameters(), started.dataset(), started.device(), started.host(), 10,
                new RunStarted.Monitor(10, 1e-4, null, 2), Instant.parse("2026-01-01T00:00:00Z")));
        KafkaTestClient.send(Topics.RUN_EVENTS, EpochCompleted.builder(own, 0).optTrainLoss(0.9).optDurationMs(100L).build());

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/v1/runs/{id}", own).then()
                .statusCode(200).body("status", equalTo("stalled")));
        given().get("/api/v1/runs/{id}", plain).then().statusCode(200).body("status", equalTo("running"));
    }

    @Test
    void aLimitOutOfRangeIsRefusedNamingTheField() {
        given().contentType(ContentType.JSON).body("{\"run_id\":\"stall-bad\",\"monitor\":{\"stall_after_seconds\":0}}")
                .post("/api/v1/runs").then().statusCode(422)
                .body("errors[0].field", equalTo("monitor.stall_after_seconds"))
                .body("errors[0].message", containsString("must be >= 1 and <= 604800"));
    }
}
