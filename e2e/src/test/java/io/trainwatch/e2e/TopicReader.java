package io.trainwatch.e2e;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * Reads one Kafka topic, every partition assigned (no consumer group), from its beginning or from its end as of
 * construction, keeping the records whose key {@code keys} accepts. Not thread-safe: one test thread reads.
 */
final class TopicReader implements AutoCloseable {

    /** One record as it arrived: headers decoded as UTF-8. */
    record Received(int partition, long offset, String key, Map<String, String> headers, byte[] value) {
        String header(String name) {
            return headers.get(name);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Predicate<String> keys;
    private final List<Received> received = new ArrayList<>();

    /** {@code fromEnd}: only records written after this constructor returns. */
    TopicReader(String bootstrapServers, String topic, Predicate<String> keys, boolean fromEnd) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(c);
        this.keys = keys;
        List<TopicPartition> partitions = new ArrayList<>();
        await("partitions of " + topic).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().until(() -> {
                    partitions.clear();
                    consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                    return !partitions.isEmpty();
                });
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);   // fixes the start now, not at the first poll
        } else {
            consumer.seekToBeginning(partitions);
        }
    }

    /** Reads every partition up to its end offset as of each check, until a check finds nothing left to read. */
    List<Received> untilCaughtUp(Duration timeout) {
        await("topic read to its end").atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            poll();
            return consumer.endOffsets(consumer.assignment()).entrySet().stream()
                    .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
        return List.copyOf(received);
    }

    /** What has been read so far. */
    List<Received> received() {
        return List.copyOf(received);
    }

    private void poll() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (!keys.test(r.key())) {
                continue;
            }
            Map<String, String> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            received.add(new Received(r.partition(), r.offset(), r.key(), headers, r.value()));
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
