package io.trainwatch.metrics.publish;

import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.TrainwatchEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * Publishes the insight events of a committed verdict write ({@code analysis.updated}, {@code alert.opened},
 * {@code alert.resolved}) to the insights topic, without holding up ingest.
 */
@ApplicationScoped
public class InsightPublisher {

    private static final Logger LOG = Logger.getLogger(InsightPublisher.class);

    @Inject
    TopicPublisher publisher;

    /**
     * Sends the events and returns at once: the insights topic is a notification of stored facts, and waiting for
     * its acknowledgements would pace ingest to the broker's round trips.
     */
    public void publish(List<TrainwatchEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        List<Uni<String>> sends = new ArrayList<>(events.size());
        for (TrainwatchEvent e : events) {
            sends.add(publisher.publish(e));
        }
        // Stored already: a broker that is away delays insights on Kafka, it never undoes or blocks ingest.
        Uni.join().all(sends).andCollectFailures().replaceWithVoid()
                .subscribe().with(ok -> { }, f -> LOG.warnf("insights not published: %s", f.toString()));
    }
}
