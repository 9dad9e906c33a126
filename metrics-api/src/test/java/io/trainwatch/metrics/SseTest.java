package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
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

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

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
        try (SseClient client = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, client.status());
            SseClient.Event status = client.next(EVENT_WAIT);
            assertNotNull(status, "a fresh connection starts with the run's status");
            assertEquals("status", status.type());
            assertTrue(status.data().contains("\"status\":\"running\""), status.data());

            for (int e = 0; e < 5; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
            }
            List<Integer> live = new ArrayList<>();
            lastId = null;
            boolean analysisSeen = false;
            while (live.size() < 5) {
                SseClient.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "live epochs arrive; got " + live);
                if ("epoch".equals(ev.type())) {
                    live.add(IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt());
                }
                analysisSeen |= "analysis".equals(ev.type());
                lastId = ev.id();
            }
            assertEquals(List.of(0, 1, 2, 3, 4), live);
            if (!analysisSeen) {
                SseClient.Event ev;
                do {
                    ev = client.next(EVENT_WAIT);
                    assertNotNull(ev, "an analysis event follows the stored epochs");
                    lastId = ev.id();
                } while (!"analysis".equals(ev.type()));
                assertTrue(ev.data().contains("\"recommendation\""), ev.data());
            }
            assertTrue(lastId.startsWith(runId + "/"), lastId);
        }

        // Missed while disconnected.
        for (int e = 5; e < 10; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/metrics", runId).then()
                .body("count", equalTo(10)));

        try (SseClient client = SseClient.to(uri).authorization(TestAuth.HEADER).lastEventId(lastId).open()) {
            assertEquals(200, client.status());
            List<Integer> resumed = new ArrayList<>();
            long previous = Long.parseLong(lastId.substring(lastId.lastIndexOf('/') + 1));
            while (resumed.size() < 5) {
                SseClient.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "missed epochs are replayed; got " + resumed);
                long position = Long.parseLong(ev.id().substring(ev.id().lastIndexOf('/') + 1));
                assertTrue(position > previous, "every event after the Last-Event-ID, once, in order");
                previous = position;
                assertTrue(List.of("epoch", "analysis", "alert").contains(ev.type()), "no status on resume: " + ev.type());
                if ("epoch".equals(ev.type())) {
                    resumed.add(IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt());
                }
            }
            assertEquals(List.of(5, 6, 7, 8, 9), resumed, "exactly the missed epochs, in order");

            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 10, 20));
            assertEquals(10, nextEpoch(client), "then live again");
            // A redelivered epoch changes nothing and is not sent again.
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 10, 20));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, 11, 20));
            assertEquals(11, nextEpoch(client), "the redelivered epoch 10 was not sent again");
        }
    }

    private static int nextEpoch(SseClient client) throws InterruptedException {
        while (true) {
            SseClient.Event ev = client.next(EVENT_WAIT);
            assertNotNull(ev, "an epoch event arrives");
            if ("epoch".equals(ev.type())) {
                return IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt();
            }
        }
    }

    @Test
    void globalStreamCarriesEveryRunOfTheProjectWithPositionsAsIds() throws Exception {
        String project = "proj-sse-all-" + System.nanoTime();
        URI uri = base.toURI().resolve("/api/v1/events?project=" + project);
        try (SseClient client = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, client.status());
            String a = TestRuns.newRunId("sse-a");
            String b = TestRuns.newRunId("sse-b");
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(a, project, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(b, project, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(a, 0, 2));
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(b, 0, 2));
            List<String> epochRuns = new ArrayList<>();
            long lastPosition = -1;
            while (epochRuns.size() < 2) {
                SseClient.Event ev = client.next(EVENT_WAIT);
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
    void typesFilterSendsOnlyTheNamedTypesLiveAndOnResume() throws Exception {
        String runId = TestRuns.newRunId("sse-types");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, "proj-sse-types", 20));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200));
        URI uri = base.toURI().resolve("/api/v1/runs/" + runId + "/events?types=epoch");
        String lastId;
        try (SseClient client = SseClient.to(uri).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, client.status());
            for (int e = 0; e < 3; e++) {
                KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
            }
            // Analysis follows each stored batch; wait until the verdict of epoch 2 is stored, so that any analysis
            // event the filter failed to hold back would already be on the wire before the epochs are counted.
            await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                    .then().statusCode(200).body("epoch", equalTo(2)));
            List<String> seen = new ArrayList<>();
            lastId = null;
            for (int i = 0; i < 3; i++) {
                SseClient.Event ev = client.next(EVENT_WAIT);
                assertNotNull(ev, "three epoch events; got " + seen);
                seen.add(ev.type() + ":" + IngestTest.readTree(ev.data().getBytes()).get("epoch").asInt());
                lastId = ev.id();
            }
            assertEquals(List.of("epoch:0", "epoch:1", "epoch:2"), seen, "no status first, no analysis between");
        }
        for (int e = 3; e < 5; e++) {
            KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.epoch(runId, e, 20));
        }
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().statusCode(200).body("epoch", equalTo(4)));
        try (SseClient client = SseClient.to(uri).authorization(TestAuth.HEADER).lastEventId(lastId).open()) {
            SseClient.Event ev3 = client.next(EVENT_WAIT);
            SseClient.Event ev4 = client.next(EVENT_WAIT);
            assertNotNull(ev4, "the two missed epochs are replayed");
            assertEquals(List.of("epoch", "epoch"), List.of(ev3.type(), ev4.type()), "the replay is filtered too");
            assertEquals(4, IngestTest.readTree(ev4.data().getBytes()).get("epoch").asInt());
        }
        given().accept("text/event-stream").get("/api/v1/events?types=epoch,bogus").then().statusCode(400)
                .contentType("application/problem+json").body("detail", org.hamcrest.Matchers.containsString("types"));
    }

    @Test
    void unknownRunStreamIs404() {
        given().accept("text/event-stream").get("/api/v1/runs/{id}/events", "no-such-run").then().statusCode(404);
    }
}
