package io.trainwatch.trainer.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: DOWN while the spool refuses events (it is full, so events are being dropped). Kafka being down alone
 * is not DOWN — the spool absorbs it — but shows in the data.
 */
@Readiness
@ApplicationScoped
public class SpoolHealthCheck implements HealthCheck {

    @Inject
    RunEventPublisher events;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("trainwatch-event-spool");
        DurablePublisher p = events.publisher();
        if (p == null) {
            return b.up().withData("publishing", "disabled").build();
        }
        EventSpool s = p.spool();
        b.withData("pending_events", s.pendingEvents())
                .withData("pending_bytes", s.pendingBytes())
                .withData("max_bytes", s.maxBytes())
                .withData("dropped_events", p.dropped())
                .withData("kafka_reachable", p.kafkaHealthy())
                .withData("dir", s.dir().toAbsolutePath().toString());
        return (p.spoolFull() ? b.down().withData("reason", "spool full: new events are dropped until Kafka takes the backlog") : b.up()).build();
    }
}
