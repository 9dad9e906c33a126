package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.metrics.store.EventEnvelope;
import io.trainwatch.metrics.store.RunStore;
import io.trainwatch.stack.LocalStackTestResource;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Change positions without a global lock (migration V30): writers draw positions concurrently and may commit out of
 * position order; SSE clients, live and resuming with Last-Event-ID, still get every change once and in order.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class ChangePositionsTest {

    static final Duration EVENT_WAIT = Duration.ofSeconds(20);

    @TestHTTPResource("/")
    URL base;

    @Inject
    Pool pool;

    @Inject
    RunStore store;

    @Test
    void aCommitAboveAnOpenOlderTransactionWaitsForItAndBothArriveInPositionOrder() throws Exception {
        String runId = TestRuns.newRunId("positions");
        String project = "proj-positions-" + System.nanoTime();
        store.store(List.of(new EventEnvelope(CloudEvents.newId(), TestRuns.started(runId, project, 10))))
                .await().indefinitely();
        int runKey = store.runKey(runId).await().indefinitely().orElseThrow();
        URI uri = base.toURI().resolve("/api/v1/events?types=epoch&project=" + project);

        SqlConnection older = pool.getConnection().await().indefinitely();
        SqlConnection younger = pool.getConnection().await().indefinitely();
        try (SseClient live = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, live.status());
            // The older transaction draws its position first (its id is the smaller), then stays open.
            Transaction olderTx = older.begin().await().indefinitely();
            long olderPosition = insertEpoch(older, runKey, 0);
            // The younger one draws a larger position and commits first: without a horizon, a reader would serve it
            // and then never serve the older one (its position is behind what the client has seen).
            Transaction youngerTx = younger.begin().await().indefinitely();
            long youngerPosition = insertEpoch(younger, runKey, 1);
            assertTrue(youngerPosition > olderPosition, olderPosition + " < " + youngerPosition);
            notify(younger, youngerPosition);
            youngerTx.commit().await().indefinitely();

            assertTrue(horizon() < olderPosition, "an open transaction holds the horizon below its positions");
            assertNull(live.next(Duration.ofMillis(500)), "nothing above the horizon is served");

            notify(older, olderPosition);
            olderTx.commit().await().indefinitely();
            await().atMost(EVENT_WAIT).until(() -> horizon() >= youngerPosition);

            SseClient.Event first = live.next(EVENT_WAIT);
            SseClient.Event second = live.next(EVENT_WAIT);
            assertNotNull(first, "the older commit arrives");
            assertNotNull(second, "the younger commit arrives");
            assertEquals(List.of(Long.toString(olderPosition), Long.toString(youngerPosition)),
                    List.of(first.id(), second.id()), "in position order, each once");
            assertTrue(first.data().contains("\"epoch\":0"), first.data());
            assertTrue(second.data().contains("\"epoch\":1"), second.data());
        } finally {
            older.close().await().indefinitely();
            younger.close().await().indefinitely();
        }

        // Resuming after the first: exactly the second, whatever the commit order was.
        try (SseClient resumed = SseClient.to(base.toURI().resolve("/api/v1/runs/" + runId + "/events?types=epoch"))
                .authorization(TestAuth.HEADER).lastEventId(runId + "/" + positionOf(runKey, 0)).open()) {
            SseClient.Event ev = resumed.next(EVENT_WAIT);
            assertNotNull(ev, "the replay after the first epoch");
            assertEquals(runId + "/" + positionOf(runKey, 1), ev.id());
            assertNull(resumed.next(Duration.ofMillis(300)), "and nothing else");
        }
    }

    @Test
    void concurrentWritersLoseNothingForLiveAndResumingClients() throws Exception {
        int writers = 6;
        int batches = 5;
        int epochsPerBatch = 4;
        List<String> runs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            runs.add(TestRuns.newRunId("concurrent"));
        }
        String project = "proj-concurrent-" + System.nanoTime();
        for (String runId : runs) {
            store.store(List.of(new EventEnvelope(CloudEvents.newId(), TestRuns.started(runId, project, 100))))
                    .await().indefinitely();
        }
        URI uri = base.toURI().resolve("/api/v1/events?types=epoch&project=" + project);
        List<SseClient.Event> received = new ArrayList<>();
        int expected = writers * batches * epochsPerBatch;
        try (SseClient live = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            // Every writer's batches run concurrently with the others': transactions overlap and commit in any order.
            List<Uni<Void>> all = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String runId = runs.get(w);
                Uni<Void> chain = Uni.createFrom().voidItem();
                for (int b = 0; b < batches; b++) {
                    List<EventEnvelope> batch = new ArrayList<>();
                    for (int e = 0; e < epochsPerBatch; e++) {
                        batch.add(new EventEnvelope(CloudEvents.newId(), TestRuns.epoch(runId, b * epochsPerBatch + e, 100)));
                    }
                    chain = chain.chain(() -> store.store(batch)).replaceWithVoid();
                }
                all.add(chain);
            }
            Uni.join().all(all).andFailFast().await().atMost(Duration.ofSeconds(60));
            while (received.size() < expected) {
                SseClient.Event ev = live.next(EVENT_WAIT);
                assertNotNull(ev, "every stored epoch arrives; got " + received.size() + " of " + expected);
                received.add(ev);
            }
            assertNull(live.next(Duration.ofMillis(300)), "and no duplicate");
        }
        assertStrictlyIncreasing(received);
        Set<String> keys = new HashSet<>();
        for (SseClient.Event ev : received) {
            var data = IngestTest.readTree(ev.data().getBytes());
            keys.add(data.get("run_id").asText() + '/' + data.get("epoch").asInt());
        }
        assertEquals(expected, keys.size(), "each epoch once");

        // A client that stopped half-way resumes with exactly the other half.
        int half = expected / 2;
        try (SseClient resumed = SseClient.to(uri).authorization(TestAuth.HEADER).lastEventId(received.get(half - 1).id()).open()) {
            List<String> ids = new ArrayList<>();
            while (ids.size() < expected - half) {
                SseClient.Event ev = resumed.next(EVENT_WAIT);
                assertNotNull(ev, "the replay continues; got " + ids.size() + " of " + (expected - half));
                ids.add(ev.id());
            }
            assertEquals(received.subList(half, expected).stream().map(SseClient.Event::id).toList(), ids);
        }
    }

    private static void assertStrictlyIncreasing(List<SseClient.Event> events) {
        long previous = -1;
        for (SseClient.Event ev : events) {
            long p = Long.parseLong(ev.id());
            assertTrue(p > previous, "ids increase along the stream: " + previous + " then " + p);
            previous = p;
        }
    }

    private static long insertEpoch(SqlConnection conn, int runKey, int epoch) {
        return conn.preparedQuery("INSERT INTO epoch_metrics (position, run_key, epoch, train_loss) "
                        + "VALUES (next_change_position(), $1, $2, 0.5) RETURNING position")
                .execute(Tuple.of(runKey, epoch)).await().indefinitely().iterator().next().getLong(0);
    }

    private static void notify(SqlConnection conn, long position) {
        conn.preparedQuery("SELECT pg_notify('" + io.trainwatch.metrics.store.ChangeNotice.CHANNEL + "', $1)")
                .execute(Tuple.of(Long.toString(position))).await().indefinitely();
    }

    private long horizon() {
        return pool.query("SELECT change_horizon()").execute().await().indefinitely().iterator().next().getLong(0);
    }

    private long positionOf(int runKey, int epoch) {
        return pool.preparedQuery("SELECT position FROM epoch_metrics WHERE run_key = $1 AND epoch = $2")
                .execute(Tuple.of(runKey, epoch)).await().indefinitely().iterator().next().getLong(0);
    }
}
