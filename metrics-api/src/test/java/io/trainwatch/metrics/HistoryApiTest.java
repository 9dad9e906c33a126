package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The history query rules on a stored 50-epoch run: since_epoch, fields, max_points, CSV, ETag and 304. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class HistoryApiTest {

    static String runId;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    /** Once per class, but inside the started application (a @BeforeAll would run before Quarkus listens). */
    @BeforeEach
    void storeRunOnce() {
        TestAuth.signIn();
        if (runId != null) {
            return;
        }
        String runId = TestRuns.newRunId("history");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-history", 60));
        for (int e = 0; e < 50; e++) {
            EpochCompleted epoch = TestRuns.epoch(runId, e, 60);
            if (e == 20 || e == 30) {
                // A spike (maximum) at 20 and the minimum at 30: downsampling must keep both.
                double val = e == 20 ? 5.0 : 0.01;
                epoch = new EpochCompleted(1, runId, e, 60, epoch.globalStep(), epoch.emittedAt(), epoch.trainLoss(),
                        val, epoch.trainAccuracy(), epoch.valAccuracy(), epoch.learningRate(), epoch.durationMs(),
                        epoch.samplesPerSecond(), epoch.gradNorm(), epoch.gradNormMax(), epoch.layerGradNorms(),
                        epoch.paramNorm(), epoch.clippedSteps(), epoch.memoryBytes(), epoch.extra());
            }
            KafkaTestClient.send(Topics.RUN_EVENTS, epoch);
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .statusCode(200).body("count", equalTo(50)));
        HistoryApiTest.runId = runId;
    }

    @Test
    void sinceEpochReturnsOnlyLaterEpochs() {
        given().queryParam("since_epoch", 45).get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200)
                .body("epochs.epoch", equalTo(List.of(46, 47, 48, 49)));
        given().queryParam("since_epoch", 49).get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200)
                .body("count", equalTo(0));
    }

    @Test
    void fieldsSelectsTheFieldsAndAlwaysTheEpoch() {
        var tree = IngestTest.readTree(given().queryParam("fields", "val_loss,train_loss")
                .get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).extract().asByteArray());
        var first = tree.get("epochs").get(0);
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = first.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        assertEquals(List.of("epoch", "val_loss", "train_loss"), names);
        given().queryParam("fields", "val_loss,bogus").get("/api/v1/runs/{id}/metrics", runId).then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("fields"));
    }

    @Test
    void maxPointsKeepsFirstLastMinimumAndMaximum() {
        var tree = IngestTest.readTree(given().queryParam("fields", "val_loss").queryParam("max_points", 10)
                .get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).body("downsampled", equalTo(true))
                .extract().asByteArray());
        List<Integer> epochs = new ArrayList<>();
        tree.get("epochs").forEach(n -> epochs.add(n.get("epoch").asInt()));
        assertTrue(epochs.size() <= 10, "at most max_points: " + epochs);
        assertTrue(epochs.containsAll(List.of(0, 49, 20, 30)), "first, last, max and min kept: " + epochs);
        assertEquals(epochs.stream().sorted().toList(), epochs, "in epoch order");
    }

    @Test
    void csvHasAHeaderAndOneLinePerEpoch() {
        String csv = given().queryParam("format", "csv").queryParam("fields", "val_loss,layer_grad_norms")
                .queryParam("since_epoch", 47).get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200)
                .contentType(startsWith("text/csv")).extract().asString();
        String[] lines = csv.split("\r\n");
        assertEquals(3, lines.length, csv);
        assertTrue(lines[0].startsWith("epoch,val_loss,layer_grad_norms."), lines[0]);
        assertTrue(lines[1].startsWith("48," + TestRuns.epoch(runId, 48, 60).valLoss() + ","), lines[1]);
    }

    @Test
    void strongEtagGives304UntilTheHistoryChanges() {
        Response first = given().get("/api/v1/runs/{id}/metrics", runId);
        String etag = first.header("ETag");
        assertNotNull(etag);
        assertTrue(etag.startsWith("\"") && !etag.startsWith("W/"), "strong ETag: " + etag);
        given().header("If-None-Match", etag).get("/api/v1/runs/{id}/metrics", runId).then().statusCode(304);
        // A different query is a different representation.
        String other = given().queryParam("fields", "val_loss").get("/api/v1/runs/{id}/metrics", runId).header("ETag");
        assertNotEquals(etag, other);
    }

    @Test
    void newEpochChangesTheEtag() {
        String id = TestRuns.newRunId("etag");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(id, 0, 3));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", id).then()
                .statusCode(200).body("count", equalTo(1)));
        String etag = given().get("/api/v1/runs/{id}/metrics", id).header("ETag");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(id, 1, 3));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().header("If-None-Match", etag)
                .get("/api/v1/runs/{id}/metrics", id).then().statusCode(200).body("count", equalTo(2)));
    }

    /**
     * Read-your-writes as observed through the change feed: once this replica's SSE stream has delivered epoch N of
     * a run, the very next history read (no retry) includes epoch N, under a new ETag; the old ETag no longer gets
     * 304, and the new one does. Steps follow the same rule.
     */
    @Test
    void historyReadRightAfterTheNotifiedEpochIsCurrent() throws Exception {
        String id = TestRuns.newRunId("ryw");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(id, 0, 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", id).then()
                .statusCode(200).body("count", equalTo(1)));
        String etag = given().get("/api/v1/runs/{id}/metrics", id).header("ETag");
        // The run is in this replica's view now: polls with the current ETag are 304 from memory.
        given().header("If-None-Match", etag).get("/api/v1/runs/{id}/metrics", id).then().statusCode(304);
        try (SseClient sse = SseClient.to(events()).authorization(TestAuth.HEADER).open()) {
            for (int e = 1; e <= 5; e++) {
                // An incremental poller, up to date: nothing after e - 1 yet.
                Response nothingNew = given().queryParam("since_epoch", e - 1).get("/api/v1/runs/{id}/metrics", id);
                assertEquals(0, nothingNew.jsonPath().getInt("count"));
                String incremental = nothingNew.header("ETag");
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(id, e, 10));
                awaitEpochEvent(sse, id, e);
                // Immediately, no retry: the notification that carried the SSE event has reached the history view.
                Response now = given().header("If-None-Match", etag).get("/api/v1/runs/{id}/metrics", id);
                assertEquals(200, now.statusCode(), "epoch " + e + " stored and notified: the old ETag is stale");
                assertEquals(e + 1, now.jsonPath().getInt("count"));
                assertEquals(e, now.jsonPath().getInt("epochs[-1].epoch"));
                String next = now.header("ETag");
                assertNotEquals(etag, next);
                given().header("If-None-Match", next).get("/api/v1/runs/{id}/metrics", id).then().statusCode(304);
                // The incremental poller's ETag is stale too: it gets epoch e, and only it.
                given().header("If-None-Match", incremental).queryParam("since_epoch", e - 1)
                        .get("/api/v1/runs/{id}/metrics", id).then().statusCode(200)
                        .body("epochs.epoch", equalTo(List.of(e)));
                etag = next;
            }
        }
    }

    /** The 304 and cached-body paths are answered from the in-memory run view: no read of the run from PostgreSQL. */
    @Test
    void pollingAnUnchangedRunIsAnsweredFromMemory() {
        String etag = given().get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).extract().header("ETag");
        double hits = viewReads("hit");
        double misses = viewReads("miss");
        for (int i = 0; i < 20; i++) {
            given().header("If-None-Match", etag).get("/api/v1/runs/{id}/metrics", runId).then().statusCode(304);
            given().get("/api/v1/runs/{id}/metrics", runId).then().statusCode(200).header("ETag", etag);
        }
        assertEquals(hits + 40, viewReads("hit"), "every poll answered from the view");
        assertEquals(misses, viewReads("miss"), "no poll read the run from the database");
    }

    private static double viewReads(String result) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("trainwatch_history_run_view_reads_total{") && line.contains("result=\"" + result + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private java.net.URI events() throws java.net.URISyntaxException {
        return base.toURI().resolve("/api/v1/events");
    }

    private static void awaitEpochEvent(SseClient sse, String runId, int epoch) throws InterruptedException {
        long deadline = System.nanoTime() + IngestTest.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            SseClient.Event ev = sse.next(java.time.Duration.ofMillis(500));
            if (ev != null && "epoch".equals(ev.type()) && ev.data().contains("\"run_id\":\"" + runId + "\"")
                    && IngestTest.readTree(ev.data().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .get("epoch").asInt() == epoch) {
                return;
            }
        }
        throw new AssertionError("no SSE epoch event " + runId + "/" + epoch);
    }

    @Test
    void unknownRunIs404ProblemJson() {
        given().get("/api/v1/runs/{id}/metrics", "no-such-run").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404))
                .body("type", equalTo("urn:trainwatch:problem:run-not-found"));
        given().get("/api/v1/runs/{id}", "no-such-run").then().statusCode(404);
        given().get("/api/v1/runs/{id}/steps", "no-such-run").then().statusCode(404);
    }

    @Test
    void listFiltersAndPaginatesWithACursor() {
        String project = "proj-page-" + System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = TestRuns.newRunId("page");
            ids.add(id);
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(id, project, 5));
            // Runs on different partitions may be stored in any order: wait for each so "newest" is the last sent.
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", id).then().statusCode(200));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().queryParam("project", project)
                .get("/api/v1/runs").then().body("runs.size()", equalTo(3)));
        var page1 = given().queryParam("project", project).queryParam("limit", 2).get("/api/v1/runs").then()
                .statusCode(200).body("runs.size()", equalTo(2)).extract().jsonPath();
        String cursor = page1.getString("next_cursor");
        assertNotNull(cursor);
        var page2 = given().queryParam("project", project).queryParam("limit", 2).queryParam("cursor", cursor)
                .get("/api/v1/runs").then().statusCode(200).body("runs.size()", equalTo(1)).extract().jsonPath();
        List<String> seen = new ArrayList<>(page1.getList("runs.run_id", String.class));
        seen.addAll(page2.getList("runs.run_id", String.class));
        assertEquals(List.of(ids.get(2), ids.get(1), ids.get(0)), seen, "newest first, no overlap");
        given().queryParam("project", project).queryParam("tag", "baseline").queryParam("status", "running")
                .get("/api/v1/runs").then().body("runs.size()", equalTo(3));
        given().queryParam("status", "sleeping").get("/api/v1/runs").then().statusCode(400)
                .body("errors[0].field", equalTo("status"));
    }

    @Test
    void compareShowsRunsSideBySide() {
        String other = TestRuns.newRunId("compare");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(other, 0, 2));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", other).then().statusCode(200));
        given().queryParam("run", runId).queryParam("run", other).queryParam("fields", "val_loss")
                .get("/api/v1/compare").then().statusCode(200)
                .body("runs.run_id", equalTo(List.of(runId, other)))
                .body("runs[0].epochs.size()", equalTo(50))
                .body("runs[1].epochs[0].epoch", equalTo(0));
        given().queryParam("run", runId).queryParam("run", "missing-run").get("/api/v1/compare").then().statusCode(404);
    }
}
