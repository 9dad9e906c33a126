package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunHeartbeat;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.TrainwatchEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeartbeatsTest {

    private static final Duration EVERY = Duration.ofSeconds(20);

    private final RecordingSink sink = new RecordingSink();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicBoolean backedUp = new AtomicBoolean();
    private final Heartbeats heartbeats = new Heartbeats(sink, EVERY, backedUp::get, clock::get);

    @Test
    void aRunSilentForTheIntervalGetsAHeartbeatBetweenItsEpochs() {
        heartbeats.publish(started("r1"));
        heartbeats.progressed("r1");
        advance(Duration.ofSeconds(19));
        assertEquals(0, heartbeats.sendDue(), "not yet silent for 20 s");
        advance(Duration.ofSeconds(1));
        assertEquals(1, heartbeats.sendDue());
        heartbeats.progressed("r1");
        assertEquals(0, heartbeats.sendDue(), "the heartbeat itself counts as published");
        advance(EVERY);
        assertEquals(1, heartbeats.sendDue(), "a 45 s epoch gets one every 20 s");
        advance(Duration.ofSeconds(5));
        heartbeats.publish(step("r1"));
        heartbeats.progressed("r1");
        advance(Duration.ofSeconds(19));
        assertEquals(0, heartbeats.sendDue(), "any event of the run resets the silence");

        List<String> types = sink.events.stream().map(e -> e.type().baseName()).toList();
        assertEquals(List.of("run.started", "run.heartbeat", "run.heartbeat", "step.sampled"), types);
        RunHeartbeat hb = (RunHeartbeat) sink.events.get(1);
        assertEquals("r1", hb.runId());
        assertTrue(hb.emittedAt() != null, "emitted_at is set");
    }

    @Test
    void aRunWhoseTrainingThreadMakesNoProgressGetsNone() {
        heartbeats.publish(started("r1"));
        advance(EVERY.multipliedBy(3));
        assertEquals(0, heartbeats.sendDue(), "no batch since run.started: hung, let the server see it stall");
        heartbeats.progressed("r1");
        assertEquals(1, heartbeats.sendDue());
        advance(EVERY);
        assertEquals(0, heartbeats.sendDue(), "no batch since the last heartbeat");
    }

    @Test
    void aFinishedRunGetsNoMoreHeartbeats() {
        heartbeats.publish(started("r1"));
        heartbeats.publish(finished("r1"));
        heartbeats.progressed("r1");
        advance(EVERY.multipliedBy(3));
        assertEquals(0, heartbeats.sendDue());
        assertEquals(2, sink.events.size());
    }

    @Test
    void eachOpenRunIsTrackedOnItsOwn() {
        heartbeats.publish(started("r1"));
        advance(Duration.ofSeconds(10));
        heartbeats.publish(started("r2"));
        heartbeats.progressed("r1");
        heartbeats.progressed("r2");
        advance(Duration.ofSeconds(10));
        assertEquals(1, heartbeats.sendDue());
        assertEquals("r1", sink.events.get(2).runId());
    }

    @Test
    void noHeartbeatWhileThePublisherIsBackedUp() {
        heartbeats.publish(started("r1"));
        heartbeats.progressed("r1");
        advance(EVERY);
        backedUp.set(true);
        assertEquals(0, heartbeats.sendDue(), "it would only wait in the spool and arrive stale");
        backedUp.set(false);
        assertEquals(1, heartbeats.sendDue());
    }

    @Test
    void zeroDisablesAndNegativeIsRefusedNamingTheSetting() {
        Heartbeats off = new Heartbeats(sink, Duration.ZERO, () -> false, clock::get).start();
        off.publish(started("r1"));
        off.progressed("r1");
        advance(EVERY.multipliedBy(10));
        assertEquals(0, off.sendDue());
        off.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Heartbeats(sink, Duration.ofSeconds(-1), () -> false, clock::get));
        assertTrue(e.getMessage().startsWith("trainwatch.trainer.heartbeat-every: must be >= 0"), e.getMessage());
    }

    @Test
    void theSchedulerThreadSendsThemWhileTheTrainingThreadIsSilent() {
        RecordingSink out = new RecordingSink();
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        RunEventSink watched = e -> {
            threads.add(Thread.currentThread().getName());
            out.publish(e);
        };
        try (Heartbeats real = new Heartbeats(watched, Duration.ofMillis(100), () -> false, System::nanoTime).start()) {
            real.publish(started("r1"));   // then a "long epoch": batches, but no event
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                real.progressed("r1");
                return heartbeatsOf(out) >= 2;
            });
            real.publish(finished("r1"));
        }
        assertEquals("run.finished", out.events.get(out.events.size() - 1).type().baseName(), "nothing after run.finished");
        for (int i = 0; i < out.events.size(); i++) {
            if (out.events.get(i) instanceof RunHeartbeat) {
                assertEquals("trainwatch-heartbeats", threads.get(i), "heartbeats never come from the training thread");
            }
        }
    }

    private static long heartbeatsOf(RecordingSink s) {
        return s.events.stream().filter(RunHeartbeat.class::isInstance).count();
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    private static RunStarted started(String runId) {
        return RunStarted.of(runId);
    }

    private static TrainwatchEvent step(String runId) {
        return new StepSampled(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, 0, 1L, Instant.now(), 0.5, 0.01, 1.0);
    }

    private static RunFinished finished(String runId) {
        return new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, RunStatus.COMPLETED, null, 1, "trainer-host",
                Instant.now());
    }
}
