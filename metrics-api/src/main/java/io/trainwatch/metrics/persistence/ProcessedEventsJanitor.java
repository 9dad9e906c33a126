package io.trainwatch.metrics.persistence;

import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;

/** Keeps the processed-event ids bounded: once an hour, ids older than the retention are deleted. */
@ApplicationScoped
public class ProcessedEventsJanitor {

    private static final Logger LOG = Logger.getLogger(ProcessedEventsJanitor.class);

    @Inject
    Vertx vertx;

    @Inject
    RunStore store;

    @ConfigProperty(name = "trainwatch.ingest.processed-retention", defaultValue = "P7D")
    Duration retention;

    void start(@Observes StartupEvent ignored) {
        vertx.setPeriodic(Duration.ofMinutes(1).toMillis(), Duration.ofHours(1).toMillis(), id ->
                store.purgeProcessedEvents(retention).subscribe().with(
                        n -> LOG.debugf("purged %d processed event ids", n),
                        f -> LOG.warnf("cannot purge processed event ids: %s", f.toString())));
    }
}
