package io.trainwatch.metrics.store;

import io.quarkus.runtime.StartupEvent;
import io.trainwatch.metrics.MetricsConfig;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;

/** Keeps the processed-event ids bounded: once an hour, ids older than {@code trainwatch.ingest.processed-retention} are deleted. */
@ApplicationScoped
public class ProcessedEventsJanitor {

    private static final Logger LOG = Logger.getLogger(ProcessedEventsJanitor.class);

    @Inject
    Vertx vertx;

    @Inject
    RunStore store;

    @Inject
    MetricsConfig config;

    void start(@Observes StartupEvent ignored) {
        vertx.setPeriodic(Duration.ofMinutes(1).toMillis(), Duration.ofHours(1).toMillis(), id ->
                store.purgeProcessedEvents(config.ingest().processedRetention()).subscribe().with(
                        n -> LOG.debugf("purged %d processed event ids", n),
                        f -> LOG.warnf("cannot purge processed event ids: %s", f.toString())));
    }
}
