package io.trainwatch.trainer.messaging;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.training.RunEventSink;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Path;

/**
 * The application's {@link RunEventSink}: a {@link DurablePublisher} over the configured spool, with its gauges and
 * counters in Micrometer. With {@code trainwatch.publisher.enabled=false} events go nowhere.
 */
@Startup
@ApplicationScoped
public class RunEventPublisher implements RunEventSink {

    private static final Logger LOG = Logger.getLogger(RunEventPublisher.class);

    @Inject
    TrainerConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    KafkaSettings kafka;

    private DurablePublisher publisher;

    @PostConstruct
    void start() {
        if (!config.publisher().enabled()) {
            LOG.warn("trainwatch.publisher.enabled=false: run events are not published");
            return;
        }
        EventSpool spool = new EventSpool(Path.of(config.spool().dir()), config.spool().maxBytes(), config.spool().segmentBytes());
        publisher = new DurablePublisher(spool,
                SpoolSender.kafkaProducers(SpoolSender.producerConfig(kafka,
                        "trainwatch-trainer-" + TrainerHost.INSTANCE_ID, config.publisher().maxBlock(), config.publisher().deliveryTimeout())),
                TrainerHost.source(), config.spool().queueCapacity(), config.spool().syncInterval());
        Gauge.builder("trainwatch.spool.pending.events", spool, EventSpool::pendingEvents)
                .description("Events in the spool that Kafka has not acknowledged").register(registry);
        Gauge.builder("trainwatch.spool.pending.bytes", spool, EventSpool::pendingBytes).baseUnit("bytes")
                .description("Bytes in the spool that Kafka has not acknowledged").register(registry);
        Gauge.builder("trainwatch.spool.max.bytes", spool, EventSpool::maxBytes).baseUnit("bytes")
                .description("The spool's bound").register(registry);
        Gauge.builder("trainwatch.spool.full", publisher, p -> p.spoolFull() ? 1 : 0)
                .description("1 while the spool refuses events").register(registry);
        FunctionCounter.builder("trainwatch.events.dropped", publisher, DurablePublisher::dropped)
                .description("Events dropped because the spool was full").register(registry);
        FunctionCounter.builder("trainwatch.events.sent", publisher, DurablePublisher::sent)
                .description("Events Kafka acknowledged").register(registry);
        FunctionCounter.builder("trainwatch.events.send.failures", publisher, DurablePublisher::sendFailures)
                .description("Failed sends (each is retried from the spool)").register(registry);
        LOG.infof("publishing run events to %s via spool %s (bound %d bytes)", kafka.describe(), spool.dir().toAbsolutePath(), spool.maxBytes());
    }

    @Override
    public void publish(TrainwatchEvent event) {
        if (publisher != null) {
            publisher.publish(event);
        }
    }

    /** True while events published now would wait in the spool (false when publishing is off: nothing waits). */
    public boolean backedUp() {
        return publisher != null && publisher.backedUp();
    }

    /** Null when publishing is off. */
    public DurablePublisher publisher() {
        return publisher;
    }

    @PreDestroy
    void stop() {
        if (publisher != null) {
            publisher.close(config.publisher().drainTimeout());
        }
    }
}
