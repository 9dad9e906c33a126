package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an HTTP-reporting trainer relies on: every ingest answer carries the run's control state, the control
 * long-poll answers when a cancel is requested, the run is readable as soon as its first post was answered, and the
 * trainer's own run.finished ends a cancelling run.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class ControlTest {

    private static String start(String runId) {
        return "{\"run_id\":\"" + runId + "\",\"name\":\"control\",\"project\":\"proj-control\",\"total_epochs\":50}";
    }

    @Test
    void aRunIsReadableOnEveryEndpointOnceItsFirstPostWasAnswered() {
        String started = TestRuns.newRunId("ryw-start");
        given().contentType(ContentType.JSON).body(start(started)).post("/api/v1/runs").then().statusCode(202)
                .body("control.status", equalTo("running")).body("control.cancel_requested", equalTo(false))
                .body("control.reason", nullValue()).body("control.requested_by", nullValue());
        // No await: the answer itself promised the run is stored.
        given().get("/api/v1/runs/{id}", started).then().statusCode(200).body("name", equalTo("control"));
        given().get("/api/v1/runs/{id}/metrics", started).then().statusCode(200);
        given().get("/api/v1/runs/{id}/analysis", started).then().statusCode(200);
        given().get("/api/v1/runs/{id}/control", started).then().statusCode(200).body("status", equalTo("running"));

        // A trainer that never posts /runs: its first epoch creates the run.
        String epochFirst = TestRuns.newRunId("ryw-epoch");
        given().contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.9}")
                .post("/api/v1/runs/{id}/metrics", epochFirst).then().statusCode(202).body("control.status", equalTo("running"));
        given().get("/api/v1/runs/{id}", epochFirst).then().statusCode(200);
        given().get("/api/v1/runs/{id}/steps", epochFirst).then().statusCode(200);
        given().get("/api/v1/runs/{id}/analysis", epochFirst).then().statusCode(200);
    }

    @Test
    void aCancelReachesTheLongPollAndTheNextIngestAnswer() {
        String runId = TestRuns.newRunId("control");
        given().contentType(ContentType.JSON).body(start(runId)).post("/api/v1/runs").then().statusCode(202);

        // More held requests than Quarkus has event loops (2 per core): were a wait to hold its thread, the cancel
        // and the metrics reads below could not be served.
        int count = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        ExecutorService clients = Executors.newFixedThreadPool(count);
        List<CompletableFuture<JsonPath>> polls = new ArrayList<>();
        double before = waiters();
        for (int i = 0; i < count; i++) {
            polls.add(CompletableFuture.supplyAsync(() -> given().get("/api/v1/runs/{id}/control?wait=60", runId)
                    .then().statusCode(200).extract().jsonPath(), clients));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> waiters() >= before + count);
        given().contentType(ContentType.JSON).body("{\"reason\":\"overfitting since epoch 3\",\"requested_by\":\"agent-9\"}")
                .post("/api/v1/runs/{id}/cancel", runId).then().statusCode(202);
        // Every waiter is released by the cancel, well before its 60 s are up.
        for (CompletableFuture<JsonPath> poll : polls) {
            JsonPath answer = await().atMost(Duration.ofSeconds(30)).until(() -> poll.getNow(null), a -> a != null);
            assertTrue(answer.getBoolean("cancel_requested"));
            assertEquals("overfitting since epoch 3", answer.getString("reason"));
            assertEquals("agent-9", answer.getString("requested_by"));
            assertEquals("cancelling", answer.getString("status"));
        }
        clients.shutdown();
        await().atMost(Duration.ofSeconds(10)).until(() -> waiters() <= before);
        // A cancel already requested is answered at once, whatever the wait.
        long t0 = System.nanoTime();
        given().get("/api/v1/runs/{id}/control?wait=60", runId).then().statusCode(200)
                .body("cancel_requested", equalTo(true));
        assertAnsweredAtOnce(t0);
        given().contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.9}")
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202)
                .body("control.cancel_requested", equalTo(true)).body("control.reason", equalTo("overfitting since epoch 3"))
                .body("control.requested_by", equalTo("agent-9")).body("control.status", equalTo("cancelling"));
    }

    @Test
    void theLongPollAnswersTheCurrentStateWhenItsWaitIsUp() {
        String runId = TestRuns.newRunId("control-idle");
        given().contentType(ContentType.JSON).body(start(runId)).post("/api/v1/runs").then().statusCode(202);
        long t0 = System.nanoTime();
        given().get("/api/v1/runs/{id}/control?wait=1", runId).then().statusCode(200)
                .body("cancel_requested", equalTo(false)).body("status", equalTo("running"));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 900, "held for the wait, was " + waitedMs + " ms");
        // wait=0 (the default) answers at once.
        given().get("/api/v1/runs/{id}/control", runId).then().statusCode(200).body("cancel_requested", equalTo(false));
    }

    @Test
    void badWaitIs400AndUnknownRunIs404() {
        for (String wait : List.of("61", "-1", "soon")) {
            given().get("/api/v1/runs/{id}/control?wait=" + wait, "any").then().statusCode(400)
                    .contentType("application/problem+json").body("errors[0].field", equalTo("wait"));
        }
        given().get("/api/v1/runs/{id}/control?wait=5", "no-such-run").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void theTrainersFinishEndsACancellingRun() {
        for (String finalStatus : List.of("cancelled", "stopped_early")) {
            String runId = TestRuns.newRunId("finish-" + finalStatus);
            given().contentType(ContentType.JSON).body(start(runId)).post("/api/v1/runs").then().statusCode(202);
            given().contentType(ContentType.JSON).body("{\"epoch\":0,\"train_loss\":0.9}")
                    .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202);
            given().contentType(ContentType.JSON).body("{\"reason\":\"stop it\",\"requested_by\":\"agent-1\"}")
                    .post("/api/v1/runs/{id}/cancel", runId).then().statusCode(202);
            given().contentType(ContentType.JSON).body("{\"status\":\"" + finalStatus
                            + "\",\"reason\":\"stop it\",\"requested_by\":\"agent-1\",\"epochs_completed\":1}")
                    .post("/api/v1/runs/{id}/finish", runId).then().statusCode(202);
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                    .body("status", equalTo(finalStatus)).body("finish_reason", equalTo("stop it"))
                    .body("cancel.reason", equalTo("stop it")));
            JsonPath control = given().get("/api/v1/runs/{id}/control?wait=60", runId).then().statusCode(200)
                    .extract().jsonPath();
            assertEquals(finalStatus, control.getString("status"));
            assertTrue(control.getBoolean("cancel_requested"));
        }
    }

    @Test
    void aFinishedRunIsAnsweredAtOnce() {
        String runId = TestRuns.newRunId("control-done");
        given().contentType(ContentType.JSON).body(start(runId)).post("/api/v1/runs").then().statusCode(202);
        given().contentType(ContentType.JSON).body("{\"status\":\"completed\"}").post("/api/v1/runs/{id}/finish", runId)
                .then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .body("status", equalTo("completed")));
        long t0 = System.nanoTime();
        JsonPath control = given().get("/api/v1/runs/{id}/control?wait=60", runId).then().statusCode(200)
                .extract().jsonPath();
        assertAnsweredAtOnce(t0);
        assertFalse(control.getBoolean("cancel_requested"));
        assertEquals("completed", control.getString("status"));
    }

    /** Requests held by the server right now (the trainwatch_control_waiters gauge). */
    private static double waiters() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("trainwatch_control_waiters")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    /** Not a timing budget: a held request would take the whole 60 s wait; 20 s tells the two apart on any machine. */
    private static void assertAnsweredAtOnce(long startNanos) {
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        assertTrue(ms < 20_000, "answered without waiting, took " + ms + " ms");
    }
}
