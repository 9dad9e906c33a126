package io.trainwatch.trainer.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Queued jobs that are cancelled — by a request or by the host shutting down — publish their start and finish once. */
class JobManagerTest {

    private static JobSpec spec(String name, int epochs) throws Exception {
        return JobSpecParser.parse(new ObjectMapper().readTree("""
                {"name": "%s", "device": "cpu", "model": {"hidden": [16]},
                 "dataset": {"type": "spirals", "train_size": 640, "val_size": 200}, "epochs": %d, "batch_size": 32}
                """.formatted(name, epochs)));
    }

    private static List<TrainwatchEvent> eventsOf(RecordingSink sink, String runId) {
        return sink.events.stream().filter(e -> e.runId().equals(runId)).toList();
    }

    private static RunFinished assertStartedThenFinished(List<TrainwatchEvent> events) {
        assertEquals(2, events.size(), events.toString());
        assertInstanceOf(RunStarted.class, events.get(0));
        return assertInstanceOf(RunFinished.class, events.get(1));
    }

    @Test
    void queuedJobsCancelledByRequestOrShutdownPublishTheirStartAndFinishOnce() throws Exception {
        RecordingSink sink = new RecordingSink();
        JobManager jobs = new JobManager(sink, 1, 8, 0, "test-host", 100);
        String running = jobs.submit(spec("long", 500)).runId();
        await().atMost(Duration.ofSeconds(60)).until(() -> jobs.get(running).orElseThrow().status() == JobStatus.RUNNING);
        String byRequest = jobs.submit(spec("queued-a", 5)).runId();
        String byShutdown = jobs.submit(spec("queued-b", 5)).runId();
        assertEquals(JobStatus.QUEUED, jobs.get(byRequest).orElseThrow().status());

        JobView cancelled = jobs.cancel(byRequest, "not needed", "alice").orElseThrow();
        assertEquals(JobStatus.CANCELLED, cancelled.status());
        assertEquals(0, cancelled.epochsCompleted());
        jobs.cancel(byRequest, "again", "bob"); // already ended: nothing more
        RunFinished a = assertStartedThenFinished(eventsOf(sink, byRequest));
        assertEquals(RunStatus.CANCELLED, a.status());
        assertEquals("not needed", a.reason());
        assertEquals("alice", a.requestedBy());
        assertEquals(0, a.epochsCompleted());
        RunStarted started = (RunStarted) eventsOf(sink, byRequest).get(0);
        assertEquals("queued-a", started.name());
        assertEquals("cpu", started.device());
        assertEquals(5, started.totalEpochs());
        assertEquals(640L, started.dataset().trainSize());

        // close() returns once the pool has run every task, the cancelled ones' turns included: any event they
        // published then would be in the sink by now.
        jobs.close();
        assertStartedThenFinished(eventsOf(sink, byRequest));
        RunFinished b = assertStartedThenFinished(eventsOf(sink, byShutdown));
        assertEquals(RunStatus.CANCELLED, b.status());
        assertEquals("the trainer host is shutting down", b.reason());
        assertEquals("trainer-host", b.requestedBy());
        assertEquals(0, b.epochsCompleted());
        assertEquals(JobStatus.CANCELLED, jobs.get(byShutdown).orElseThrow().status());
        List<TrainwatchEvent> longRun = eventsOf(sink, running);
        RunFinished l = assertInstanceOf(RunFinished.class, longRun.get(longRun.size() - 1));
        assertEquals(RunStatus.CANCELLED, l.status());
        assertEquals("the trainer host is shutting down", l.reason());
        assertEquals(JobStatus.CANCELLED, jobs.get(running).orElseThrow().status());
    }
}
