package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.TrainwatchEvent;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The writing half of {@link DurablePublisher}: {@link #offer} (training thread) only stamps the time and queues the
 * event; the {@code trainwatch-spool-writer} thread gives each event its CloudEvents id (once: it is stored with the
 * event), encodes it with {@link EventCodec}, appends it to the on-disk {@link EventSpool}, forces the spool to disk
 * every {@code syncInterval}, and tells the {@link SpoolSender} that there is more to send. A full queue or spool
 * refuses the event: counted as dropped and logged at ERROR (at most every 10 s).
 */
final class SpoolWriter {

    private static final Logger LOG = Logger.getLogger(SpoolWriter.class);
    /**
     * How often the writer looks for new events (see {@link SpoolSender#SEND_PERIOD_NANOS} for why events move in
     * batches a few times a second rather than one by one).
     */
    private static final long WRITER_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** An event waiting for the writer thread, its time already fixed. */
    private record Pending(TrainwatchEvent event, Instant time) {
    }

    private final EventSpool spool;
    private final String source;
    /**
     * Lock-free and never signalled: the writer polls it every {@code WRITER_PERIOD}, so an offer() costs no
     * system call and wakes no thread (on a busy machine a wake-up can cost the training thread its time slice).
     */
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final int queueCapacity;
    private final Duration syncInterval;
    /** Called after each batch appended (and once at the end), to wake the sender. */
    private final Runnable appended;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean full;
    private volatile long lastDropLogNanos;

    SpoolWriter(EventSpool spool, String source, int queueCapacity, Duration syncInterval, Runnable appended) {
        this.spool = spool;
        this.source = source;
        this.queueCapacity = queueCapacity;
        this.syncInterval = syncInterval;
        this.appended = appended;
        this.thread = new Thread(this::writeLoop, "trainwatch-spool-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Never blocks: the event is queued for the spool, or counted as dropped if the writer is stopped or even the
     * queue is full. Only the time is taken here; the id (a SecureRandom UUID), the JSON and the disk write happen
     * on the writer thread.
     */
    void offer(TrainwatchEvent event) {
        if (!running) {
            drop(event, "the publisher is closed");
        } else if (queued.incrementAndGet() > queueCapacity) {
            queued.decrementAndGet();
            drop(event, "the spool writer's queue is full (disk stalled?)");
        } else {
            queue.offer(new Pending(event, Instant.now()));
        }
    }

    /** Writes what is queued to the spool, forces it to disk and stops the thread (waits up to 10 s). */
    void stop() throws InterruptedException {
        running = false;
        LockSupport.unpark(thread);
        thread.join(10_000);
    }

    /** Events refused because the spool or queue was full (or could not be encoded). */
    long dropped() {
        return dropped.get();
    }

    /** True after an append was refused, until one succeeds again. */
    boolean spoolFull() {
        return full;
    }

    int queued() {
        return queued.get();
    }

    private void drop(TrainwatchEvent event, String why) {
        dropped.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastDropLogNanos > TimeUnit.SECONDS.toNanos(10)) {
            lastDropLogNanos = now;
            LOG.errorf("Dropped %s of run %s: %s. Dropped so far: %d. Spool %s holds %d events, %d of %d bytes; "
                            + "is Kafka reachable? Training continues.", event.type(), event.runId(), why, dropped.get(),
                    spool.dir(), spool.pendingEvents(), spool.pendingBytes(), spool.maxBytes());
        }
    }

    private void writeLoop() {
        long lastSync = System.nanoTime();
        while (running || !queue.isEmpty()) {
            try {
                int written = drainQueue();
                if (written > 0) {
                    appended.run();
                }
                if (System.nanoTime() - lastSync >= syncInterval.toNanos()) {
                    spool.sync();
                    lastSync = System.nanoTime();
                }
                if (written == 0 && running) {
                    LockSupport.parkNanos(WRITER_PERIOD_NANOS);
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "spool writer: %s", e.getMessage());
                LockSupport.parkNanos(WRITER_PERIOD_NANOS);
            }
        }
        drainQueue();
        spool.sync();
        appended.run();
    }

    private int drainQueue() {
        int n = 0;
        Pending p;
        while (n < SpoolSender.BATCH && (p = queue.poll()) != null) {
            queued.decrementAndGet();
            write(p);
            n++;
        }
        return n;
    }

    private void write(Pending p) {
        SpooledEvent e;
        try {
            // The ce_id is made once, here, and kept in the spool: every resend carries the same one.
            e = new SpooledEvent(CloudEvents.headers(p.event(), CloudEvents.newId(), source, p.time()), p.event().runId(),
                    EventCodec.instance().encode(p.event()));
        } catch (RuntimeException ex) {
            LOG.errorf(ex, "cannot encode %s of run %s; dropped", p.event().type(), p.event().runId());
            dropped.incrementAndGet();
            return;
        }
        if (spool.append(e)) {
            full = false;
        } else {
            full = true;
            drop(p.event(), "the spool is full");
        }
    }
}
