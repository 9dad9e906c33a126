package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunHeartbeat;
import io.trainwatch.contracts.TrainwatchEvent;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A {@link RunEventSink} in front of the publisher that sends a {@code run.heartbeat} for each open run that published
 * nothing for {@code every}, so that an epoch longer than the server's stall limit is not taken for a stalled run.
 *
 * <p>The training thread only records when it last published (a map put) and that it trained or validated a batch
 * (a volatile write); the heartbeats are published from this class's own scheduler thread, and only for a run that
 * progressed since its last event or heartbeat: a training thread that hangs gets none, and the server's stall check
 * sees it. A heartbeat is skipped while {@code backedUp} says the publisher's spool holds a backlog (Kafka away): it
 * would reach the server stale, after the events it should have stood in for.
 */
public final class Heartbeats implements RunEventSink, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Heartbeats.class);

    private final RunEventSink downstream;
    private final long everyNanos;
    private final BooleanSupplier backedUp;
    private final LongSupplier nanoClock;

    /** An open run: when it last published (nano clock), and whether a batch ran since. */
    private static final class Pulse {
        final long lastPublished;
        volatile boolean progressed;

        Pulse(long lastPublished) {
            this.lastPublished = lastPublished;
        }
    }

    private final Map<String, Pulse> open = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;

    /**
     * @param every     silence after which a run gets a heartbeat; zero disables them
     * @param backedUp  true while heartbeats would only wait in a spool
     * @param nanoClock {@link System#nanoTime} outside tests
     */
    public Heartbeats(RunEventSink downstream, Duration every, BooleanSupplier backedUp, LongSupplier nanoClock) {
        if (every == null || every.isNegative()) {
            throw new IllegalArgumentException("trainwatch.trainer.heartbeat-every: must be >= 0, was " + every);
        }
        this.downstream = downstream;
        this.everyNanos = every.toNanos();
        this.backedUp = backedUp;
        this.nanoClock = nanoClock;
    }

    /** Starts the scheduler thread; it checks a quarter of {@code every} apart, so a heartbeat is at most that late. */
    public Heartbeats start() {
        if (everyNanos > 0 && scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "trainwatch-heartbeats");
                t.setDaemon(true);
                return t;
            });
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), everyNanos / 4);
            scheduler.scheduleWithFixedDelay(this::sendDueSafely, period, period, TimeUnit.NANOSECONDS);
        }
        return this;
    }

    @Override
    public void publish(TrainwatchEvent event) {
        if (event instanceof RunFinished) {
            // Forgotten before run.finished is queued: a heartbeat may come before it, never after.
            open.remove(event.runId());
            downstream.publish(event);
        } else {
            downstream.publish(event);
            if (everyNanos > 0) {
                open.put(event.runId(), new Pulse(nanoClock.getAsLong()));
            }
        }
    }

    @Override
    public void progressed(String runId) {
        Pulse p = open.get(runId);
        if (p != null && !p.progressed) {
            p.progressed = true;
        }
    }

    private void sendDueSafely() {
        try {
            sendDue();
        } catch (RuntimeException e) {
            LOG.errorf(e, "heartbeats: %s", e.getMessage());
        }
    }

    /**
     * Publishes a heartbeat for every run silent for {@code every} that progressed meanwhile; returns how many
     * (scheduler thread, tests).
     */
    int sendDue() {
        if (everyNanos == 0 || open.isEmpty() || backedUp.getAsBoolean()) {
            return 0;
        }
        int[] sent = {0};
        for (String runId : open.keySet()) {
            // computeIfPresent holds the entry while the heartbeat is queued (a lock-free offer), so a run.finished
            // that removes it meanwhile is queued after the heartbeat, not before.
            open.computeIfPresent(runId, (id, pulse) -> {
                long now = nanoClock.getAsLong();
                if (now - pulse.lastPublished < everyNanos || !pulse.progressed) {
                    return pulse;
                }
                downstream.publish(new RunHeartbeat(TrainwatchEvent.CURRENT_SCHEMA_VERSION, id, Instant.now()));
                sent[0]++;
                return new Pulse(now);
            });
        }
        return sent[0];
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
