package io.trainwatch.trainer.messaging;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The sending half of {@link DurablePublisher}: the {@code trainwatch-kafka-sender} thread reads the {@link EventSpool}
 * in order from the last acknowledged position and sends with an idempotent producer ({@code acks=all}), key = run
 * id, CloudEvents binary-mode headers. It advances the spool's cursor only over events Kafka acknowledged; after a
 * failure it starts again from the cursor with a growing back-off, so the order is kept and nothing is skipped.
 * {@code send()} may block on metadata while Kafka is down: that only ever blocks this thread.
 */
public final class SpoolSender {

    private static final Logger LOG = Logger.getLogger(SpoolSender.class);
    /** Events read from the spool per send cycle (and written per writer cycle). */
    static final int BATCH = 500;
    /**
     * The least time between two send cycles: with the writer's 250 ms period at most ~0.75 s of publish → Kafka
     * latency, plenty for per-epoch monitoring. Measured: every wake-up of a publishing thread costs training CPU,
     * and can stall PyTorch's intra-op threads (they spin at barriers) on a small machine, so events are moved in
     * batches a few times a second rather than one by one (5 ms polling and a send per event cost 20–70 % of a
     * short epoch on 2 cores; 100 ms / 250 ms periods still cost ~3 % of one core's training CPU;
     * docs/trainer-host.md § Benchmark).
     */
    static final long SEND_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    private final EventSpool spool;
    private final Supplier<Producer<String, byte[]>> producerFactory;
    private final String topic;
    private final Thread thread;
    /** Notified by the writer when it appended, and by {@link #awaitStopped}; the sender waits on it when idle. */
    private final Object appended = new Object();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    private volatile boolean running = true;
    private volatile long drainUntilNanos;
    private volatile boolean kafkaHealthy;
    private volatile Producer<String, byte[]> producer;
    /** How many records the producer took in the last send cycle (sender thread only). */
    private int enqueuedInLastCycle;

    SpoolSender(EventSpool spool, Supplier<Producer<String, byte[]>> producerFactory, String topic) {
        this.spool = spool;
        this.producerFactory = producerFactory;
        this.topic = topic;
        this.thread = new Thread(this::sendLoop, "trainwatch-kafka-sender");
        thread.setDaemon(true);
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

    void start() {
        thread.start();
    }

    /** Wakes the sender if it waits for events (the writer appended some). */
    void wake() {
        synchronized (appended) {
            appended.notifyAll();
        }
    }

    /** From now on the sender only delivers what is spooled, until {@code drain} has passed, then it stops. */
    void stopAfter(Duration drain) {
        drainUntilNanos = System.nanoTime() + drain.toNanos();
        running = false;
        LockSupport.unpark(thread);
    }

    /**
     * Waits for the sender to deliver what is spooled (at most {@code drain} + 0.5 s), interrupts it if it is still
     * busy. What Kafka has not acknowledged stays in the spool.
     */
    void awaitStopped(Duration drain) throws InterruptedException {
        wake();
        thread.join(Math.max(1, drain.toMillis()) + 500);
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(5_000);
        }
    }

    /** Closes the producer without waiting (after {@link #awaitStopped}, or when that was interrupted). */
    void closeProducer() {
        resetProducer();
    }

    /** Events Kafka acknowledged since this sender started. */
    long sent() {
        return sent.get();
    }

    long sendFailures() {
        return sendFailures.get();
    }

    /** True while the last send to Kafka succeeded. */
    boolean kafkaHealthy() {
        return kafkaHealthy;
    }

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
}
