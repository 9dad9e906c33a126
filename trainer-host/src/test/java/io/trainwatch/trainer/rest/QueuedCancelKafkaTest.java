package io.trainwatch.trainer.rest;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.TopicReader.Received;
import io.trainwatch.testsupport.TopicReader;
import io.trainwatch.trainer.messaging.CancelDispatcher;
import io.trainwatch.trainer.messaging.DurablePublisher;
import io.trainwatch.trainer.messaging.RunEventPublisher;
import io.trainwatch.trainer.messaging.RunEventRecords;
import io.trainwatch.trainer.training.JobManager;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.trainwatch.trainer.rest.JobsKafkaTest.bootstrap;
import static io.trainwatch.trainer.rest.JobsKafkaTest.sendCancel;
import static io.trainwatch.trainer.rest.JobsKafkaTest.status;
import static io.trainwatch.trainer.rest.JobsKafkaTest.submit;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job cancelled while it waits in the job queue still tells Kafka about itself when a host takes it: {@code run.started} with
 * what is known, then {@code run.finished} {@code cancelled} after 0 epochs — through DELETE and the control topic.
 */
@QuarkusTest
@TestProfile(QueuedCancelKafkaTest.OneTrainingThread.class)
@QuarkusTestResource(value = LocalStackTestResource.class, restrictToAnnotatedClass = false)
class QueuedCancelKafkaTest {

    /** One job trains at a time, so a second one waits in the queue. */
    public static class OneTrainingThread implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("trainwatch.jobs.max-concurrent", "1", "%test.trainwatch.jobs.max-concurrent", "1");
        }
    }

    static final String QUEUED_JOB = """
            {"name": "%s", "project": "queue-it", "tags": ["queued", "it"], %s
             "model": {"type": "mlp", "hidden": [16, 16]},
             "dataset": {"type": "spirals", "train_size": 640, "val_size": 200, "noise": 0.2, "seed": 3},
             "epochs": 7, "batch_size": 32, "optimizer": {"type": "adam", "learning_rate": 0.01},
             "monitor": {"patience": 3, "min_delta": 0.001}}
            """;

    @Inject
    CancelDispatcher control;

    @Inject
    JobManager jobs;

    @Inject
    RunEventPublisher events;

    @Test
    void aQueuedJobCancelledByDeleteOrTheControlTopicPublishesItsStartAndItsCancelledFinish() {
        await().atMost(Duration.ofSeconds(30)).until(control::ready);
        String running = submit(JobsKafkaTest.SMALL_JOB.formatted(500));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(running).equals("running"));
        String byDelete = submit(QUEUED_JOB.formatted("queued-delete", ""));
        String byControl = submit(QUEUED_JOB.formatted("queued-control", "\"device\": \"cpu\","));
        assertEquals("queued", status(byDelete), "one training slot: the second job waits in the job topic");
        assertEquals("queued", status(byControl));

        // The job waits in Kafka, not on a host: the cancel travels on the control topic and the host that takes
        // the job skips it. DELETE answers 202 at once with the job as it is (still queued).
        given().queryParam("reason", "not needed any more").queryParam("requested_by", "alice")
                .delete("/api/v1/jobs/" + byDelete).then().statusCode(202).body("status", equalTo("queued"));
        sendCancel(new RunCancelRequested(1, byControl, "superseded by a better spec", "agent-7", Instant.now()));
        assertEquals("running", status(running), "cancelling the queued jobs left the running one alone");

        // Free the slot: this host takes the two queued jobs in turn and ends each cancelled without training.
        given().delete("/api/v1/jobs/" + running).then().statusCode(202);
        await().atMost(Duration.ofSeconds(60)).until(() -> status(byDelete).equals("cancelled") && status(byControl).equals("cancelled"));
        given().get("/api/v1/jobs/" + byDelete).then().body("reason", equalTo("not needed any more"))
                .body("requested_by", equalTo("alice")).body("epochs_completed", equalTo(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> jobs.idle() && jobs.running() == 0 && jobs.queued() == 0);
        DurablePublisher publisher = events.publisher();
        await().atMost(Duration.ofSeconds(30)).until(() -> publisher.queued() == 0 && publisher.spool().pendingEvents() == 0);

        RunStarted started = assertStartedThenCancelled(byDelete, "not needed any more", "alice");
        assertEquals("queued-delete", started.name());
        assertEquals("auto", started.device(), "the device as requested: it was never resolved");
        RunStarted startedByControl = assertStartedThenCancelled(byControl, "superseded by a better spec", "agent-7");
        assertEquals("queued-control", startedByControl.name());
        assertEquals("cpu", startedByControl.device());
        given().get("/api/v1/jobs/" + byControl).then().body("requested_by", equalTo("agent-7"))
                .body("reason", equalTo("superseded by a better spec")).body("epochs_completed", equalTo(0));
    }

    /** The run's events on Kafka are exactly run.started then run.finished (cancelled, 0 epochs); returns the start. */
    private static RunStarted assertStartedThenCancelled(String runId, String reason, String requestedBy) {
        List<TrainwatchEvent> got;
        try (TopicReader reader = RunEventRecords.reader(bootstrap(), runId)) {
            got = reader.untilCaughtUp(Duration.ofSeconds(30)).stream().map(RunEventRecords::event).toList();
        }
        assertEquals(2, got.size(), runId + ": run.started and run.finished, nothing else: " + got);
        RunStarted s = assertInstanceOf(RunStarted.class, got.get(0));
        RunFinished f = assertInstanceOf(RunFinished.class, got.get(1));
        assertEquals("queue-it", s.project());
        assertEquals(List.of("queued", "it"), s.tags());
        assertEquals(7, s.totalEpochs());
        assertEquals(7, s.hyperparameters().get("epochs"));
        assertEquals(0.01, s.hyperparameters().get("learning_rate"));
        assertEquals("mlp 2 → [16, 16] → 3 relu", s.model().architecture());
        assertNull(s.model().parameterCount(), "the model was never built");
        assertTrue(s.dataset().name().startsWith("spirals"), s.dataset().name());
        assertEquals(640L, s.dataset().trainSize());
        assertEquals(200L, s.dataset().valSize());
        assertEquals(3, s.dataset().classBalance().size());
        assertEquals(3, s.monitor().patience());
        assertTrue(s.host() != null && !s.host().isBlank());
        assertEquals(RunStatus.CANCELLED, f.status());
        assertEquals(reason, f.reason());
        assertEquals(requestedBy, f.requestedBy());
        assertEquals(0, f.epochsCompleted());
        return s;
    }
}
