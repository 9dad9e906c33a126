package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
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
import java.util.Set;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** A plain KafkaConsumer over the run-events topic, from the beginning, keeping the records of one run. */
public final class RunEventsReader implements AutoCloseable {

    /** One record as it arrived: partition, offset, headers and the decoded event. */
    public record Received(int partition, long offset, String key, Map<String, String> headers, TrainwatchEvent event) {
        public String ceId() {
            return headers.get(CloudEvents.H_ID);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final String runId;
    private final List<Received> received = new ArrayList<>();

    public RunEventsReader(String bootstrapServers, String runId) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(c);
        this.runId = runId;
        consumer.subscribe(List.of(Topics.RUN_EVENTS));
    }

    /** Polls until the run's run.finished has arrived (or the timeout), then a little longer to catch duplicates. */
    public List<Received> untilFinished(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            poll();
            return received.stream().anyMatch(r -> r.event() instanceof RunFinished);
        });
        poll();
        return List.copyOf(received);
    }

    /** Polls until {@code count} records of the run have arrived. */
    public List<Received> untilCount(int count, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            poll();
            return received.size() >= count;
        });
        poll();
        return List.copyOf(received);
    }

    /**
     * Polls until this reader has read every partition of the topic up to its end as of each check (or the timeout):
     * once the publisher has sent everything, nothing of the run can still be on its way.
     */
    public List<Received> untilCaughtUp(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            poll();
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                return false;
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
            return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
        return List.copyOf(received);
    }

    private void poll() {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (!runId.equals(r.key())) {
                continue;
            }
            Map<String, String> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
            received.add(new Received(r.partition(), r.offset(), r.key(), headers,
                    EventCodec.instance().decode(headers.get(CloudEvents.H_TYPE), r.value())));
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
