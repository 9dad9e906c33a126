package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.EventType;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads {@code run.cancel-requested} from the control topic on its own thread. The consumer group is unique to this
 * host instance, so every trainer host sees every cancel (a broadcast); the handler ignores runs it does not own.
 * A new group starts {@code lookBack} before now, not at the end: a cancel for a run this host just started, sent
 * before the consumer had its partitions, is still read. (A stable group per host would replay cancels for runs a
 * previous process had; those runs are gone and reported failed at start, see OpenRuns, so a bounded look-back is
 * what is needed, and it needs no stable host identity.)
 */
public final class ControlTopicConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControlTopicConsumer.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<RunCancelRequested> handler;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean assigned;

    private final Duration lookBack;

    public ControlTopicConsumer(KafkaSettings kafka, String groupId, Consumer<RunCancelRequested> handler) {
        this(kafka, groupId, Duration.ZERO, handler);
    }

    public ControlTopicConsumer(KafkaSettings kafka, String groupId, Duration lookBack, Consumer<RunCancelRequested> handler) {
        this.lookBack = lookBack;
        Map<String, Object> c = kafka.client(Map.of(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000), Map.of(
                // Fixed: a group of its own per host is what makes every host see every cancel; the look-back
                // (seek on assignment) is what reads the recent past, so a new group starts at the end.
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.CLIENT_ID_CONFIG, groupId,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
        this.consumer = new KafkaConsumer<>(c);
        this.handler = handler;
        this.thread = new Thread(this::loop, "trainwatch-control-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    /** True once the group has given this consumer its partitions: cancels sent from now on are seen. */
    public boolean assigned() {
        return assigned;
    }

    private void loop() {
        try {
            consumer.subscribe(List.of(Topics.RUN_CONTROL), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    assigned = false;
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    startLookingBack(partitions);
                    // 'latest' applies lazily, at the first fetch; take the end offsets now so that "assigned"
                    // really means every later cancel will be read.
                    for (TopicPartition tp : partitions) {
                        consumer.position(tp);
                    }
                    // Commit that position at once: after a rebalance (a broker restart) the group resumes from
                    // here instead of jumping to 'latest' again and skipping a cancel sent in between.
                    try {
                        consumer.commitSync();
                    } catch (RuntimeException e) {
                        LOG.debugf("control consumer: initial commit failed (%s); auto-commit will follow", e.getMessage());
                    }
                    assigned = !partitions.isEmpty();
                }
            });
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    handle(r);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.errorf(e, "control consumer woken up unexpectedly");
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "control consumer stopped: %s", e.getMessage());
        } finally {
            assigned = false;
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Partitions this group has no committed offset for start at the first record newer than now − lookBack. */
    private void startLookingBack(Collection<TopicPartition> partitions) {
        if (lookBack.isZero() || partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - lookBack.toMillis();
        for (TopicPartition tp : partitions) {
            if (committed.get(tp) == null) {
                since.put(tp, from);
            }
        }
        if (since.isEmpty()) {
            return;
        }
        consumer.offsetsForTimes(since).forEach((tp, found) -> {
            if (found != null) {
                consumer.seek(tp, found.offset());
            } // none newer: 'latest' (the end) is right
        });
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        Header type = r.headers().lastHeader(CloudEvents.H_TYPE);
        String ceType = type == null ? null : new String(type.value(), StandardCharsets.UTF_8);
        try {
            // Bare types (run.cancel-requested) from a metrics-api built before the prefix are read too (EventType).
            TrainwatchEvent event = EventCodec.instance().decode(ceType == null ? EventType.RUN_CANCEL_REQUESTED.ceType() : ceType, r.value());
            if (event instanceof RunCancelRequested cancel) {
                handler.accept(cancel);
            }
        } catch (RuntimeException e) {
            LOG.warnf("control topic %s-%d@%d: ignored an unreadable record (%s)", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
