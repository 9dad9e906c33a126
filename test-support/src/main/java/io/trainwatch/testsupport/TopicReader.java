package io.trainwatch.testsupport;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Reads one Kafka topic as a test observes it: every partition assigned (no consumer group, so no rebalance to wait
 * for), from the beginning or from the end as of construction, keeping every record whose key passes the filter.
 * Records are kept in arrival order; each {@code until…} method polls until its condition holds or throws an
 * {@link AssertionError} saying what it waited for. Not thread-safe: one test thread reads.
 */
public final class TopicReader implements AutoCloseable {

    /** How long one poll blocks: short, so that a condition is checked soon after it holds. */
    private static final Duration POLL = Duration.ofMillis(100);
    /** How long to wait for the topic's partitions to be known (the broker may still be creating it). */
    private static final Duration METADATA_WAIT = Duration.ofSeconds(30);

    /** One record as it arrived; headers decoded as UTF-8 (the last value of a repeated header wins). */
    public record Received(String topic, int partition, long offset, String key, Map<String, String> headers,
                           byte[] value) {

        /** The header's value, or null when the record has none of that name. */
        public String header(String name) {
            return headers.get(name);
        }

        /** The value as UTF-8 text, or null for a tombstone. */
        public String text() {
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }
    }

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final Predicate<String> keys;
    private final List<Received> received = new ArrayList<>();

    /** A reader of every record on the topic, from its beginning. */
    public static TopicReader fromBeginning(String bootstrapServers, String topic) {
        return new TopicReader(newConsumer(bootstrapServers), topic, key -> true, false);
    }

    /** A reader of the records written to the topic after this returns. */
    public static TopicReader fromEnd(String bootstrapServers, String topic) {
        return new TopicReader(newConsumer(bootstrapServers), topic, key -> true, true);
    }

    /** A reader, from the beginning, of the records with this key only (e.g. one run's records). */
    public static TopicReader forKey(String bootstrapServers, String topic, String key) {
        Objects.requireNonNull(key, "key");
        return new TopicReader(newConsumer(bootstrapServers), topic, key::equals, false);
    }

    /** A reader of the records whose key {@code keys} accepts, from the beginning or (with {@code fromEnd}) the end. */
    public static TopicReader open(String bootstrapServers, String topic, Predicate<String> keys, boolean fromEnd) {
        return new TopicReader(newConsumer(bootstrapServers), topic, keys, fromEnd);
    }

    /**
     * A reader over the given consumer (which it closes): assigns every partition of {@code topic} and seeks to its
     * beginning or, with {@code fromEnd}, to its end as of now. Records whose key {@code keys} rejects are skipped.
     */
    public TopicReader(Consumer<String, byte[]> consumer, String topic, Predicate<String> keys, boolean fromEnd) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.keys = Objects.requireNonNull(keys, "keys");
        List<TopicPartition> partitions = partitionsOf(topic);
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);   // fixes the start now, not at the first poll
        } else {
            consumer.seekToBeginning(partitions);
        }
    }

    private static Consumer<String, byte[]> newConsumer(String bootstrapServers) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Objects.requireNonNull(bootstrapServers, "bootstrapServers"));
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(c);
    }

    private List<TopicPartition> partitionsOf(String topic) {
        long deadline = System.nanoTime() + METADATA_WAIT.toNanos();
        RuntimeException last = null;
        do {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, POLL.multipliedBy(10));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                }
            } catch (RuntimeException e) {   // the broker is still starting, or the topic is being created
                last = e;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("topic " + topic + ": no partitions known after " + METADATA_WAIT, last);
    }

    /**
     * Polls until at least one record matching {@code wanted} has been read; returns every matching record read so
     * far (older ones included), in arrival order.
     */
    public List<Received> until(Predicate<Received> wanted, Duration timeout) {
        await("a record matching the condition", timeout, () -> received.stream().anyMatch(wanted));
        return matching(wanted);
    }

    /** Polls until {@code count} records have been read; returns all of them (possibly more than {@code count}). */
    public List<Received> untilCount(int count, Duration timeout) {
        await(count + " records", timeout, () -> received.size() >= count);
        return received();
    }

    /**
     * Polls until this reader has read every partition up to its end offset as of each check: once the writers
     * have been acknowledged, nothing of theirs can still be on its way. Returns everything read.
     */
    public List<Received> untilCaughtUp(Duration timeout) {
        await("the topic read to its end", timeout, () -> {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
        return received();
    }

    /** Polls for {@code duration} (no condition), e.g. to see that nothing more arrives; returns everything read. */
    public List<Received> readFor(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        do {
            poll();
        } while (System.nanoTime() < deadline);
        return received();
    }

    /** Everything read so far, in arrival order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The records read so far that match {@code wanted}, in arrival order. */
    public List<Received> matching(Predicate<Received> wanted) {
        return received.stream().filter(wanted).toList();
    }

    private void await(String what, Duration timeout, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            poll();
            if (done.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("topic " + topic + ": waited " + timeout + " for " + what + "; read "
                        + received.size() + " records");
            }
        }
    }

    private void poll() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
            if (!keys.test(r.key())) {
                continue;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            received.add(new Received(r.topic(), r.partition(), r.offset(), r.key(),
                    Collections.unmodifiableMap(headers), r.value()));
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
