package io.trainwatch.metrics.ingest;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Readiness stays DOWN until each of the ingest consumers has joined its group and been given its partitions (possibly none,
 * when there are more replicas than partitions), so that a replica is not sent traffic, nor counted as a
 * replacement, before it takes part in storing. Later rebalances (another replica joining or dying) do not turn it
 * DOWN again: every replica would drop out of service at once.
 */
@ApplicationScoped
@Identifier(IngestAssignment.NAME)
@Readiness
public class IngestAssignment implements KafkaConsumerRebalanceListener, HealthCheck {

    /** The name {@code mp.messaging.incoming.run-events.consumer-rebalance-listener.name} refers to. */
    public static final String NAME = "ingest-assignment";

    @ConfigProperty(name = "mp.messaging.incoming.run-events.concurrency", defaultValue = "1")
    int consumers;

    private volatile boolean assigned;
    /** Partitions held by each of this replica's ingest consumers (the channel runs several, see concurrency). */
    private final Map<Consumer<?, ?>, Integer> held = new ConcurrentHashMap<>();

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> added) {
        held.put(consumer, consumer.assignment().size());
        assigned = held.size() >= consumers;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("Kafka ingest partitions assigned").status(assigned)
                .withData("partitions", held.values().stream().mapToInt(Integer::intValue).sum()).build();
    }
}
