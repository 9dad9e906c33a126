package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
import io.trainwatch.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.Topics;
import io.trainwatch.metrics.store.EventEnvelope;
import io.trainwatch.metrics.store.RunRetention;
import io.trainwatch.metrics.store.RunStore;
import io.trainwatch.metrics.store.StoredBatch;
import io.trainwatch.stack.LocalStackTestResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DELETE /runs/{id} and retention: everything of the run goes, SSE is told, the insights topic gets a tombstone. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class RunDeletionTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    Pool pool;

    @Inject
    RunRetention retention;

    @Inject
    RunStore store;

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void deletingARunningRunCancelsItRemovesEverythingTellsSseAndTombstonesInsights() throws Exception {
        String runId = TestRuns.newRunId("del");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-del", 10));
        for (int e = 0; e < 3; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 10));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then()
                .statusCode(200).body("latest_epoch", equalTo(2)));
        int runKey = runKey(runId);
        URI runEvents = base.toURI().resolve("/api/v1/runs/" + runId + "/events?types=epoch");
        URI allEvents = base.toURI().resolve("/api/v1/events");
        try (TopicReader control = KafkaTestClient.reader(Topics.RUN_CONTROL);
             TopicReader insights = KafkaTestClient.reader(Topics.RUN_INSIGHTS);
             SseClient runStream = SseClient.to(runEvents).authorization(TestAuth.HEADER).open();
             SseClient everything = SseClient.to(allEvents).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, runStream.status());
            assertEquals(200, everything.status());

            given().delete("/api/v1/runs/{id}", runId).then().statusCode(204);

            given().get("/api/v1/runs/{id}", runId).then().statusCode(404).contentType("application/problem+json");
            assertEquals(0, count("SELECT count(*) FROM epoch_metrics WHERE run_key = $1", runKey));
            assertEquals(0, count("SELECT count(*) FROM run_analysis WHERE run_key = $1", runKey));
            assertEquals(0, count("SELECT count(*) FROM alerts WHERE run_key = $1", runKey));
            assertEquals(0, count("SELECT count(*) FROM step_samples WHERE run_key = $1", runKey));

            // A run still training is cancelled first, with the reason "deleted".
            List<TopicReader.Received> cancels = control.until(r -> runId.equals(r.key()), Duration.ofSeconds(30));
            assertEquals(1, cancels.size());
            RunCancelRequested cancel = EventCodec.instance().decode(cancels.get(0).value(), RunCancelRequested.class);
            assertEquals("deleted", cancel.reason());
            assertEquals("test-admin", cancel.requestedBy(), "the cancel names the token that deleted");

            // The run's stream gets status `deleted` (although it asked for epochs only) and ends.
            SseClient.Event deleted = nextOfType(runStream, "status");
            assertTrue(deleted.data().contains("\"status\":\"deleted\""), deleted.data());
            await().atMost(Duration.ofSeconds(20)).until(() -> runStream.endedByServer());
            // The all-runs stream gets it too, and goes on.
            SseClient.Event global;
            do {
                global = nextOfType(everything, "status");
            } while (!global.data().contains(runId));
            assertTrue(global.data().contains("\"status\":\"deleted\""), global.data());

            List<TopicReader.Received> tombstones = insights.until(r -> runId.equals(r.key()) && r.value() == null, Duration.ofSeconds(30));
            assertEquals(1, tombstones.stream().filter(r -> r.value() == null).count());
        }

        // The trainer's late run.finished (it honoured the cancel) does not bring the run back.
        KafkaTestClient.send(Topics.RUN_EVENTS, new RunFinished(1, runId, RunStatus.CANCELLED, "deleted", 3, "api", null));
        String marker = TestRuns.newRunId("del-marker");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(marker, "proj-del", 1));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", marker).then().statusCode(200));
        given().get("/api/v1/runs/{id}", runId).then().statusCode(404);
        given().delete("/api/v1/runs/{id}", runId).then().statusCode(404).contentType("application/problem+json");

        // Audited once (the second DELETE found nothing), with the token's name.
        given().queryParam("run_id", runId).get("/api/v1/audit").then().statusCode(200)
                .body("entries.findAll { it.action == 'run.delete' }.size()", equalTo(1))
                .body("entries.find { it.action == 'run.delete' }.principal", equalTo("test-admin"))
                .body("entries.find { it.action == 'run.delete' }.outcome", equalTo("allowed"));
    }

    @Test
    void deleteNeedsTheControlScopeAndTheRunsProject() {
        // Each request names its token (the signed-in default would be sent as well, and win).
        RestAssured.requestSpecification = null;
        String admin = TestAuth.HEADER;
        String runId = TestRuns.newRunId("del-auth");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-del-auth", 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().header("Authorization", admin)
                .get("/api/v1/runs/{id}", runId).then().statusCode(200));
        String tag = Long.toString(System.nanoTime());
        String reader = TestTokens.bearer(TestTokens.create("del-read-" + tag, List.of("read", "ingest"), List.of()));
        String otherProject = TestTokens.bearer(TestTokens.create("del-other-" + tag, List.of("control"),
                List.of("proj-elsewhere")));
        String controller = TestTokens.bearer(TestTokens.create("del-control-" + tag, List.of("control"),
                List.of("proj-del-auth")));

        given().header("Authorization", reader).delete("/api/v1/runs/{id}", runId).then().statusCode(403)
                .contentType("application/problem+json").body("detail", containsString("lacks the scope control"));
        // Another project's run is answered like an unknown one.
        given().header("Authorization", otherProject).delete("/api/v1/runs/{id}", runId).then().statusCode(404)
                .contentType("application/problem+json");
        given().header("Authorization", admin).get("/api/v1/runs/{id}", runId).then().statusCode(200);
        // The refusal is audited, like a refused cancel.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("Authorization", admin)
                .queryParam("run_id", runId).get("/api/v1/audit").then().body("entries.find { it.outcome == 'refused' }.principal",
                        equalTo("del-read-" + tag)));

        given().header("Authorization", controller).delete("/api/v1/runs/{id}", runId).then().statusCode(204);
        given().header("Authorization", admin).get("/api/v1/runs/{id}", runId).then().statusCode(404);
        given().header("Authorization", admin).queryParam("run_id", runId).get("/api/v1/audit").then()
                .body("entries.find { it.action == 'run.delete' }.principal", equalTo("del-control-" + tag));
    }

    /**
     * The race without a global lock: a batch for a run whose deletion is in flight (its row deleted, not committed)
     * waits for that row, then finds the deletion and drops the run's events instead of creating it again.
     */
    @Test
    void aBatchWaitingOnARunBeingDeletedDropsItsEvents() throws Exception {
        String runId = TestRuns.newRunId("del-race");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-del", 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));

        SqlConnection deleting = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            Transaction tx = deleting.begin().await().atMost(Duration.ofSeconds(10));
            // What RunDeletion does, in two steps so the batch can start in between.
            deleting.preparedQuery("DELETE FROM runs WHERE id = $1").execute(Tuple.of(runId))
                    .await().atMost(Duration.ofSeconds(10));
            CompletableFuture<StoredBatch> batch = store.store(List.of(new EventEnvelope(CloudEvents.newId(),
                    TestRuns.epoch(runId, 0, 10)))).subscribe().asCompletionStage().toCompletableFuture();
            // The batch waits for the deleted row's lock.
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnLocks() > 0);
            assertTrue(!batch.isDone(), "the batch waits for the deletion");
            deleting.preparedQuery("INSERT INTO run_deletions (id, project, position) VALUES ($1, 'proj-del', "
                    + "next_change_position())").execute(Tuple.of(runId)).await().atMost(Duration.ofSeconds(10));
            tx.commit().await().atMost(Duration.ofSeconds(10));

            StoredBatch stored = batch.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(stored.changedEpochs().isEmpty(), "no epoch of the deleted run stored: " + stored);
        } finally {
            deleting.close().await().atMost(Duration.ofSeconds(10));
        }
        assertEquals(0, count("SELECT count(*) FROM runs WHERE id = $1", runId));
        given().get("/api/v1/runs/{id}", runId).then().statusCode(404);
    }

    @Test
    void unknownRunIs404() {
        given().delete("/api/v1/runs/{id}", "no-such-run").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404));
    }

    @Test
    void retentionDeletesOnlyFinishedRunsOlderThanTheirProjectsLimitInBatches() {
        String project = "proj-ret-" + CloudEvents.newId().substring(0, 8);
        String keepProject = "proj-keep-" + CloudEvents.newId().substring(0, 8);
        Instant old = Instant.now().minus(Duration.ofDays(40));
        List<String> expired = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = TestRuns.newRunId("ret-old");
            expired.add(id);
            finishedRun(id, project, old);
        }
        String recent = TestRuns.newRunId("ret-recent");
        finishedRun(recent, project, Instant.now().minus(Duration.ofDays(2)));
        String running = TestRuns.newRunId("ret-running");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(running, project, 10));
        String kept = TestRuns.newRunId("ret-kept");
        finishedRun(kept, keepProject, old);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> {
            for (String id : List.of(recent, running, kept, expired.get(4))) {
                given().get("/api/v1/runs/{id}", id).then().statusCode(200);
            }
            given().get("/api/v1/runs/{id}", expired.get(4)).then().body("status", equalTo("completed"));
        });

        // 30 days by default, 0 (keep forever) for keepProject; batches of 2 with no pause.
        int deleted = retention.sweep(30, Map.of(keepProject, 0), 2, Duration.ZERO)
                .await().atMost(Duration.ofSeconds(60));

        assertTrue(deleted >= expired.size(), "every expired run of this test was deleted; deleted " + deleted);
        for (String id : expired) {
            given().get("/api/v1/runs/{id}", id).then().statusCode(404);
        }
        given().get("/api/v1/runs/{id}", recent).then().statusCode(200);
        given().get("/api/v1/runs/{id}", running).then().statusCode(200);
        given().get("/api/v1/runs/{id}", kept).then().statusCode(200);
        given().queryParam("run_id", expired.get(0)).get("/api/v1/audit").then()
                .body("entries.find { it.action == 'run.delete' }.principal", equalTo("(retention)"));
    }

    @Test
    void retentionOffDeletesNothing() {
        assertEquals(0, retention.sweep(0, Map.of(), 100, Duration.ZERO).await().atMost(Duration.ofSeconds(10)));
    }

    private static void finishedRun(String id, String project, Instant finishedAt) {
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(id, project, 1));
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(id, 0, 1));
        KafkaTestClient.send(Topics.RUN_EVENTS, new RunFinished(1, id, RunStatus.COMPLETED, null, 1, null, finishedAt));
    }

    private static SseClient.Event nextOfType(SseClient client, String type) throws InterruptedException {
        SseClient.Event ev;
        do {
            ev = client.next(Duration.ofSeconds(20));
            assertNotNull(ev, "a " + type + " event arrives");
        } while (!type.equals(ev.type()));
        return ev;
    }

    private int runKey(String runId) {
        return pool.preparedQuery("SELECT run_key FROM runs WHERE id = $1").execute(Tuple.of(runId))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getInteger(0);
    }

    private long count(String sql, Object arg) {
        return pool.preparedQuery(sql).execute(Tuple.of(arg)).await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }

    /** Backends of this database waiting for a row lock (the batch stuck behind the deletion). */
    private long waitingOnLocks() {
        return pool.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND wait_event_type = 'Lock'").execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }
}
