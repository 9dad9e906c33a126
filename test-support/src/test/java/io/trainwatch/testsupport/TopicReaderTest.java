package io.trainwatch.testsupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reader over Kafka's MockConsumer: two partitions, records added while it polls. */
class TopicReaderTest {

    private static final String TOPIC = "t";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");

    private TopicReader reader(String onlyKey, boolean fromEnd, long endOffset) {
        Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
                new PartitionInfo(TOPIC, 1, node, null, null)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        consumer.updateEndOffsets(Map.of(P0, endOffset, P1, 0L));
        return new TopicReader(consumer, TOPIC, onlyKey == null ? k -> true : onlyKey::equals, fromEnd);
    }

    private void add(int partition, long offset, String key, String type, String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(new RecordHeader("ce_type", type.getBytes(StandardCharsets.UTF_8)));
        consumer.addRecord(new ConsumerRecord<>(TOPIC, partition, offset, 0L, TimestampType.CREATE_TIME, -1, -1, key,
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), headers, Optional.empty()));
    }

    @Test
    void readsUntilAMatchingRecordAndExposesKeyHeadersAndValue() {
        try (TopicReader r = reader(null, false, 0)) {
            add(0, 0, "a", "run.started", "{}");
            add(1, 0, "b", "epoch.completed", "{\"epoch\":1}");
            List<TopicReader.Received> found = r.until(x -> "epoch.completed".equals(x.header("ce_type")), WAIT);
            assertEquals(1, found.size());
            TopicReader.Received rec = found.get(0);
            assertEquals("b", rec.key());
            assertEquals(1, rec.partition());
            assertEquals("{\"epoch\":1}", rec.text());
            assertEquals(2, r.received().size(), "everything read is kept");
        }
    }

    @Test
    void keepsOnlyTheKeyAskedForAndCountsIt() {
        try (TopicReader r = reader("a", false, 0)) {
            add(0, 0, "a", "x", "1");
            add(0, 1, "b", "x", "2");
            add(1, 0, "a", "x", null);
            List<TopicReader.Received> got = r.untilCount(2, WAIT);
            assertEquals(List.of("a", "a"), got.stream().map(TopicReader.Received::key).toList());
            assertTrue(got.stream().anyMatch(x -> x.partition() == 1 && x.text() == null), "a tombstone has no text");
        }
    }

    @Test
    void catchesUpToTheEndOffsets() {
        try (TopicReader r = reader(null, false, 2)) {
            add(0, 0, "a", "x", "1");
            add(0, 1, "a", "x", "2");
            assertEquals(2, r.untilCaughtUp(WAIT).size());
        }
    }

    @Test
    void fromEndStartsAtTheEndOffsets() {
        try (TopicReader r = reader(null, true, 1)) {
            assertEquals(1, consumer.position(P0));
            assertEquals(0, consumer.position(P1));
            assertTrue(r.readFor(Duration.ofMillis(200)).isEmpty());
        }
    }

    @Test
    void aTimeoutSaysWhatItWaitedFor() {
        try (TopicReader r = reader(null, false, 0)) {
            AssertionError e = assertThrows(AssertionError.class, () -> r.untilCount(1, Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("topic t") && e.getMessage().contains("1 records"), e.getMessage());
        }
    }
}
