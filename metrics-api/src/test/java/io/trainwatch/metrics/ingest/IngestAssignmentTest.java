package io.trainwatch.metrics.ingest;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Readiness with the ingest channel's two consumers: ready once each holds its share, and their partitions add up. */
class IngestAssignmentTest {

    @Test
    void readyOnlyOnceEveryConsumerHasBeenAssigned() {
        IngestAssignment readiness = new IngestAssignment();
        readiness.consumers = 2;
        MockConsumer<String, byte[]> first = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        MockConsumer<String, byte[]> second = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        List<TopicPartition> all = List.of(new TopicPartition("t", 0), new TopicPartition("t", 1),
                new TopicPartition("t", 2));

        first.assign(all.subList(0, 2));
        readiness.onPartitionsAssigned(first, all.subList(0, 2));
        assertEquals(HealthCheckResponse.Status.DOWN, readiness.call().getStatus());

        second.assign(all.subList(2, 3));
        readiness.onPartitionsAssigned(second, all.subList(2, 3));
        HealthCheckResponse up = readiness.call();
        assertEquals(HealthCheckResponse.Status.UP, up.getStatus());
        assertEquals(3L, up.getData().orElseThrow().get("partitions"));

        // A later rebalance moves a partition: still ready, and the count follows.
        first.assign(Set.of(all.get(0)));
        readiness.onPartitionsAssigned(first, Set.of());
        assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        assertEquals(2L, readiness.call().getData().orElseThrow().get("partitions"));
    }
}
