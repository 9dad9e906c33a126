package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Live updates with a real SSE client: live epochs, disconnect, resume with Last-Event-ID, exactly what was missed. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class SseTest {

    static final Duration EVENT_WAIT = Duration.ofSeconds(20);

    @TestHTTPResource("/")
    URL base;

    @Test
    void liveThenResumeWithLastEventIdGetsExactlyTheMissedEventsInOrder() throws Exception {
        String runId = TestRuns.newRunId("sse");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-sse", 20));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));
        URI uri = base.toURI().resolve("/api/v1/runs/" + runId + "/events");

        String lastId;
        try (SseClientForTests client = new SseClientForTests(uri, null)) {
            assertEquals(200, client.status);
            SseClientForTests.Event status = client.next(EVENT_WAIT);
            assertNotNull(status, "a fresh connection starts with the run's status");
            assertEquals("status", status.type());
            assertTrue(status.data().contains("\"status\":\"running\""), status.data());

            for (int e = 0; e < 5; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
            }
            List<Integer> live = new ArrayList<>();
            lastId = null;
            while (live.size() < 5) {
                SseClientForTests.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "live epochs arrive; got " + live);
                if ("epoch".equals(ev.type())) {
                    live.add(IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt());
                    lastId = ev.id();
                }
            }
            assertEquals(List.of(0, 1, 2, 3, 4), live);
            assertTrue(lastId.startsWith(runId + "/"), lastId);
        }

        // Missed while disconnected.
        for (int e = 5; e < 10; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .body("count", equalTo(10)));

        try (SseClientForTests client = new SseClientForTests(uri, lastId)) {
            assertEquals(200, client.status);
            List<Integer> resumed = new ArrayList<>();
            List<String> types = new ArrayList<>();
            while (resumed.size() < 5) {
                SseClientForTests.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "missed epochs are replayed; got " + resumed);
                types.add(ev.type());
                if ("epoch".equals(ev.type())) {
                    resumed.add(IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt());
                }
            }
            assertEquals(List.of(5, 6, 7, 8, 9), resumed, "exactly the missed ones, in order");
            assertEquals(List.of("epoch", "epoch", "epoch", "epoch", "epoch"), types, "nothing before them");

            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 10, 20));
            SseClientForTests.Event next = client.next(EVENT_WAIT);
            assertNotNull(next, "then live again");
            assertEquals("epoch", next.type());
            assertEquals(10, IngestTest.readTree(next.data().getBytes()).get("epoch").asInt());
            // A duplicate of an already sent event never follows.
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 10, 20));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 11, 20));
            SseClientForTests.Event after = client.next(EVENT_WAIT);
            assertNotNull(after);
            assertEquals(11, IngestTest.readTree(after.data().getBytes()).get("epoch").asInt(),
                    "the redelivered epoch 10 changed nothing and was not sent again");
        }
    }

    @Test
    void globalStreamCarriesEveryRunOfTheProjectWithPositionsAsIds() throws Exception {
        String project = "proj-sse-all-" + System.nanoTime();
        URI uri = base.toURI().resolve("/api/v1/events?project=" + project);
        try (SseClientForTests client = new SseClientForTests(uri, null)) {
            assertEquals(200, client.status);
            String a = TestRuns.newRunId("sse-a");
            String b = TestRuns.newRunId("sse-b");
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(a, project, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(b, project, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(a, 0, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(b, 0, 2));
            List<String> epochRuns = new ArrayList<>();
            long lastPosition = -1;
            while (epochRuns.size() < 2) {
                SseClientForTests.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "events of both runs arrive; got " + epochRuns);
                long position = Long.parseLong(ev.id());
                assertTrue(position > lastPosition, "positions increase");
                lastPosition = position;
                if ("epoch".equals(ev.type())) {
                    epochRuns.add(IngestTest.readTree(ev.data().getBytes()).get("run_id").asText());
                }
            }
            assertTrue(epochRuns.containsAll(List.of(a, b)), epochRuns.toString());
        }
    }

    @Test
    void unknownRunStreamIs404() {
        given().accept("text/event-stream").get("/api/v1/runs/{id}/events", "no-such-run").then().statusCode(404);
    }
}
