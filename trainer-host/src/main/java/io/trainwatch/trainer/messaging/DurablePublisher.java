package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.training.RunEventSink;
import org.apache.kafka.clients.producer.Producer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Publishes run events without ever blocking training and without losing them: a {@link SpoolWriter} (the training
 * thread only queues; a writer thread encodes and appends to the on-disk {@link EventSpool}) and a
 * {@link SpoolSender} (a thread that delivers the spool to Kafka, in order, acknowledged events only). This class
 * starts and stops the two and answers for both.
 *
 * A full spool (or a full queue, if the disk stalls) refuses the event: it is counted as dropped, logged at ERROR,
 * and readiness goes DOWN — training goes on.
 */
public final class DurablePublisher implements RunEventSink, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DurablePublisher.class);

    private final EventSpool spool;
    private final SpoolSender sender;
    private final SpoolWriter writer;
    private volatile boolean closed;

    public DurablePublisher(EventSpool spool, Supplier<Producer<String, byte[]>> producerFactory, String source,
                            int queueCapacity, Duration syncInterval) {
        this(spool, producerFactory, source, Topics.RUN_EVENTS, queueCapacity, syncInterval);
    }

    public DurablePublisher(EventSpool spool, Supplier<Producer<String, byte[]>> producerFactory, String source, String topic,
                            int queueCapacity, Duration syncInterval) {
        this.spool = spool;
        this.sender = new SpoolSender(spool, producerFactory, topic);
        this.writer = new SpoolWriter(spool, source, queueCapacity, syncInterval, sender::wake);
        writer.start();
        sender.start();
    }

    /** Never blocks: see {@link SpoolWriter#offer}. */
    @Override
    public void publish(TrainwatchEvent event) {
        writer.offer(event);
    }

    /** Events refused because the spool or queue was full. */
    public long dropped() {
        return writer.dropped();
    }

    /** Events Kafka acknowledged since this publisher started. */
    public long sent() {
        return sender.sent();
    }

    public long sendFailures() {
        return sender.sendFailures();
    }

    /** True after an append was refused, until one succeeds again. */
    public boolean spoolFull() {
        return writer.spoolFull();
    }

    /** True while the last send to Kafka succeeded. */
    public boolean kafkaHealthy() {
        return sender.kafkaHealthy();
    }

    /**
     * True while the spool holds a backlog: Kafka failed last, the spool refuses events, or more than one send
     * batch waits. Events published now would reach Kafka late (what heartbeats are skipped for).
     */
    public boolean backedUp() {
        return !sender.kafkaHealthy() || writer.spoolFull() || spool.pendingEvents() > SpoolSender.BATCH;
    }

    public EventSpool spool() {
        return spool;
    }

    public int queued() {
        return writer.queued();
    }

    /**
     * Stops: writes what is queued to the spool, lets the sender deliver what is spooled for up to {@code drain},
     * then stops it. What Kafka has not acknowledged stays in the spool for the next start.
     */
    public void close(Duration drain) {
        if (closed) {
            return;
        }
        closed = true;
        sender.stopAfter(drain);
        try {
            writer.stop();
            sender.awaitStopped(drain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sender.closeProducer();
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
