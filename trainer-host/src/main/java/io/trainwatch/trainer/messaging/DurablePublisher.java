package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.training.RunEventSink;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Publishes run events without ever blocking training and without losing them.
 *
 * <ol>
 *   <li>{@link #publish} (training thread) stamps the event's time and offers it to an in-memory queue: no I/O, no
 *       locks shared with Kafka.</li>
 *   <li>The <em>spool writer</em> thread gives each event its CloudEvents id (once: it is stored with the event),
 *       encodes it with {@link EventCodec} and appends it to the on-disk {@link EventSpool}, forcing it to disk every
 *       {@code syncInterval}.</li>
 *   <li>The <em>sender</em> thread reads the spool in order from the last acknowledged position and sends with an
 *       idempotent producer ({@code acks=all}), key = run id, CloudEvents binary-mode headers. It advances the
 *       spool's cursor only over events Kafka acknowledged; after a failure it starts again from the cursor, so
 *       the order is kept and nothing is skipped. {@code send()} may block on metadata while Kafka is down: that
 *       only ever blocks this thread.</li>
 * </ol>
 *
 * A full spool (or a full queue, if the disk stalls) refuses the event: it is counted as dropped, logged at ERROR,
 * and readiness goes DOWN — training goes on.
 */
public final class DurablePublisher implements RunEventSink, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DurablePublisher.class);
    private static final int BATCH = 500;
    /**
     * How often the writer looks for new events, and the least time between two send cycles: together at most
     * ~0.75 s of publish → Kafka latency, plenty for per-epoch monitoring. Measured: every wake-up of a publishing
     * thread costs training CPU, and can stall PyTorch's intra-op threads (they spin at barriers) on a small machine,
     * so events are moved in batches a few times a second rather than one by one (5 ms polling and a send per event
     * cost 20–70 % of a short epoch on 2 cores; 100 ms / 250 ms periods still cost ~3 % of one core's training CPU;
     * docs/trainer-host.md § Benchmark).
     */
    private static final long WRITER_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long SEND_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    /** An event waiting for the spool writer, its time already fixed. */
    private record Pending(TrainwatchEvent event, Instant time) {
    }

    private final EventSpool spool;
    private final Supplier<Producer<String, byte[]>> producerFactory;
    private final String source;
    private final String topic;
    /**
     * Lock-free and never signalled: the writer polls it every {@code WRITER_PERIOD}, so a publish() costs no
     * system call and wakes no thread (on a busy machine a wake-up can cost the training thread its time slice).
     */
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final int queueCapacity;
    private final Duration syncInterval;
    private final Thread writer;
    private final Thread sender;
    private final Object appended = new Object();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    private volatile boolean running = true;
    private volatile long drainUntilNanos;
    private volatile boolean full;
    private volatile boolean kafkaHealthy;
    private volatile long lastDropLogNanos;
    private volatile Producer<String, byte[]> producer;

    public DurablePublisher(EventSpool spool, Supplier<Producer<String, byte[]>> producerFactory, String source,
                            int queueCapacity, Duration syncInterval) {
        this(spool, producerFactory, source, Topics.RUN_EVENTS, queueCapacity, syncInterval);
    }

    public DurablePublisher(EventSpool spool, Supplier<Producer<String, byte[]>> producerFactory, String source, String topic,
                            int queueCapacity, Duration syncInterval) {
        this.spool = spool;
        this.producerFactory = producerFactory;
        this.source = source;
        this.topic = topic;
        this.queueCapacity = queueCapacity;
        this.syncInterval = syncInterval;
        this.writer = new Thread(this::writeLoop, "trainwatch-spool-writer");
        this.sender = new Thread(this::sendLoop, "trainwatch-kafka-sender");
        writer.setDaemon(true);
        sender.setDaemon(true);
        writer.start();
        sender.start();
    }

    /**
     * Producer settings for never losing or reordering: idempotent, acks=all, retries until delivery.timeout; on top
     * of the {@code kafka.*} settings.
     */
    public static Map<String, Object> producerConfig(KafkaSettings kafka, String clientId, Duration maxBlock, Duration deliveryTimeout) {
        Map<String, Object> defaults = new HashMap<>();
        // While Kafka is away the producer retries its connection with exponential back-off up to this: each try
        // costs the trainer CPU (measured ~1 ms a second at a 1 s cap), and a few seconds' delay after Kafka
        // returns costs nothing (the spool holds the events).
        defaults.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 5000);
        defaults.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 5000);
        // Fixed: idempotence, acks=all and at most 5 in flight are what keep events unlost, unduplicated and in
        // order; the timeouts come from trainwatch.publisher.* (one place for them), and Kafka refuses a delivery
        // timeout below linger + request timeout, so linger is fixed with them; the spool holds encoded bytes.
        Map<String, Object> fixed = new HashMap<>();
        fixed.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        fixed.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        fixed.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        fixed.put(ProducerConfig.ACKS_CONFIG, "all");
        fixed.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        fixed.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
        fixed.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryTimeout.toMillis());
        fixed.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, deliveryTimeout.toMillis() - 5));
        fixed.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        fixed.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return kafka.client(defaults, fixed);
    }

    public static Supplier<Producer<String, byte[]>> kafkaProducers(Map<String, Object> config) {
        return () -> new KafkaProducer<>(config);
    }

    /**
     * Never blocks: the event is queued for the spool, or counted as dropped if even the queue is full. Only the
     * time is taken here; the id (a SecureRandom UUID), the JSON and the disk write happen on the writer thread.
     */
    @Override
    public void publish(TrainwatchEvent event) {
        if (!running) {
            drop(event, "the publisher is closed");
        } else if (queued.incrementAndGet() > queueCapacity) {
            queued.decrementAndGet();
            drop(event, "the spool writer's queue is full (disk stalled?)");
        } else {
            queue.offer(new Pending(event, Instant.now()));
        }
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
                    synchronized (appended) {
                        appended.notifyAll();
                    }
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
        synchronized (appended) {
            appended.notifyAll();
        }
    }

    private int drainQueue() {
        int n = 0;
        Pending p;
        while (n < BATCH && (p = queue.poll()) != null) {
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

    /** How many records the producer took in the last send cycle (sender thread only). */
    private int enqueuedInLastCycle;

    private void sendLoop() {
        EventSpool.Position next = spool.committed();
        long backoffMs = 200;
        while (active()) {
            try {
                List<EventSpool.Entry> batch = spool.read(next, BATCH);
                if (batch.isEmpty()) {
                    synchronized (appended) {
                        if (!running) {
                            break;
                        }
                        if (spool.read(next, 1).isEmpty()) {
                            appended.wait(200);
                        }
                    }
                    continue;
                }
                if (producer == null) {
                    producer = producerFactory.get();
                }
                int acked = sendAll(batch);
                if (acked > 0) {
                    spool.commit(batch.get(acked - 1).next(), acked);
                    sent.addAndGet(acked);
                }
                if (acked == batch.size()) {
                    next = batch.get(batch.size() - 1).next();
                    if (!kafkaHealthy && sendFailures.get() > 0) {
                        LOG.infof("Kafka takes events again; %d wait in the spool", spool.pendingEvents());
                    }
                    kafkaHealthy = true;
                    backoffMs = 200;
                    if (batch.size() < BATCH && running) {
                        // No backlog: let events gather for the next cycle instead of waking for each one. Parked,
                        // not waiting on `appended`: the writer's notifications must not shorten the pause (each
                        // cycle wakes this thread and the producer's, measured at ~1 ms of CPU; close() unparks).
                        LockSupport.parkNanos(SEND_PERIOD_NANOS);
                    }
                } else {
                    // Start again from the first unacknowledged event, in order, with a fresh producer — unless the
                    // producer took nothing (Kafka unreachable: no metadata within max.block): then it holds no
                    // batch whose fate is unknown, and keeping it keeps its connection back-off, where a new one
                    // would start probing again at once (CPU taken from training for as long as Kafka is away).
                    next = spool.committed();
                    kafkaHealthy = false;
                    if (enqueuedInLastCycle > 0) {
                        resetProducer();
                    }
                    sleep(backoffMs);
                    backoffMs = Math.min(backoffMs * 2, 5_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                if (!active()) {
                    break;
                }
                LOG.errorf(e, "kafka sender: %s", e.getMessage());
                next = spool.committed();
                kafkaHealthy = false;
                resetProducer();
                try {
                    sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                backoffMs = Math.min(backoffMs * 2, 5_000);
            }
        }
    }

    /** Running, or closing with spooled events and drain time left. */
    private boolean active() {
        return running || (System.nanoTime() < drainUntilNanos && spool.pendingEvents() > 0);
    }

    /** Sends the batch and waits for every acknowledgement; returns how many, from the start, Kafka took. */
    private int sendAll(List<EventSpool.Entry> batch) throws InterruptedException {
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        for (EventSpool.Entry e : batch) {
            try {
                Future<RecordMetadata> f = producer.send(record(e.event()));
                // send() reports a refusal before the record reaches the producer's buffer (no metadata within
                // max.block: Kafka unreachable) as a future that has already failed, not as an exception. Such a
                // record is not in the producer, so it must not count as enqueued: the producer is then kept, with
                // its connection back-off. A record really enqueued completes only after a broker round trip.
                Throwable refused = f.isDone() ? failure(f) : null;
                if (refused != null) {
                    sendFailures.incrementAndGet();
                    LOG.warnf("Kafka send refused (%s); events wait in the spool %s", refused, spool.dir());
                    break;
                }
                futures.add(f);
            } catch (org.apache.kafka.common.errors.InterruptException ie) {
                throw new InterruptedException("interrupted while sending");
            } catch (RuntimeException ex) {
                sendFailures.incrementAndGet();
                LOG.warnf("Kafka send refused (%s); events wait in the spool %s", ex.getMessage(), spool.dir());
                break;
            }
        }
        enqueuedInLastCycle = futures.size();
        int acked = 0;
        for (Future<RecordMetadata> f : futures) {
            try {
                f.get();
                acked++;
            } catch (java.util.concurrent.ExecutionException ex) {
                sendFailures.incrementAndGet();
                if (kafkaHealthy) {
                    LOG.warnf("Kafka did not take an event (%s); it and the ones after it wait in the spool %s",
                            ex.getCause().toString(), spool.dir());
                }
                break;
            }
        }
        return acked;
    }

    /** The cause of a completed future's failure, or null if it succeeded. */
    private static Throwable failure(Future<RecordMetadata> done) {
        try {
            done.get();
            return null;
        } catch (java.util.concurrent.ExecutionException ex) {
            return ex.getCause();
        } catch (InterruptedException | java.util.concurrent.CancellationException ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return ex;
        }
    }

    private ProducerRecord<String, byte[]> record(SpooledEvent e) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, e.key(), e.data());
        e.headers().forEach((k, v) -> r.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
        return r;
    }

    private void resetProducer() {
        Producer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.debugf("closing producer: %s", e.getMessage());
            }
        }
    }

    private void sleep(long ms) throws InterruptedException {
        synchronized (appended) {
            if (active()) {
                appended.wait(ms);
            }
        }
    }

    /** Events refused because the spool or queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Events Kafka acknowledged since this publisher started. */
    public long sent() {
        return sent.get();
    }

    public long sendFailures() {
        return sendFailures.get();
    }

    /** True after an append was refused, until one succeeds again. */
    public boolean spoolFull() {
        return full;
    }

    /** True while the last send to Kafka succeeded. */
    public boolean kafkaHealthy() {
        return kafkaHealthy;
    }

    /**
     * True while the spool holds a backlog: Kafka failed last, the spool refuses events, or more than one send
     * batch waits. Events published now would reach Kafka late (what heartbeats are skipped for).
     */
    public boolean backedUp() {
        return !kafkaHealthy || full || spool.pendingEvents() > BATCH;
    }

    public EventSpool spool() {
        return spool;
    }

    public int queued() {
        return queued.get();
    }

    /**
     * Stops: writes what is queued to the spool, lets the sender deliver what is spooled for up to {@code drain},
     * then stops it. What Kafka has not acknowledged stays in the spool for the next start.
     */
    public void close(Duration drain) {
        if (!running) {
            return;
        }
        drainUntilNanos = System.nanoTime() + drain.toNanos();
        running = false;
        LockSupport.unpark(writer);
        LockSupport.unpark(sender);
        try {
            writer.join(10_000);
            synchronized (appended) {
                appended.notifyAll();
            }
            sender.join(Math.max(1, drain.toMillis()) + 500);
            if (sender.isAlive()) {
                sender.interrupt();
                sender.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            resetProducer();
            spool.close();
            if (spool.pendingEvents() > 0) {
                LOG.infof("publisher stopped with %d events in the spool %s; they are sent after the next start",
                        spool.pendingEvents(), spool.dir());
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
