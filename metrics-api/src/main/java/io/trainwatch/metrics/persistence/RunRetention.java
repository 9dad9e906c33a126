package io.trainwatch.metrics.persistence;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Retention: every {@code trainwatch.retention.every}, finished runs that ended more than
 * {@code trainwatch.retention.days} ago (per project: {@code trainwatch.retention.projects."<project>"}; 0 keeps
 * forever) are deleted like {@code DELETE /runs/{id}}, {@code trainwatch.retention.batch} runs per transaction with
 * {@code trainwatch.retention.pause} between transactions: a transaction still open holds back the change horizon
 * (SSE on every replica waits for it, see docs/architecture.md "Change positions"), so none may run long. Any replica
 * may run it: a run deleted by one is skipped by the others. The defaults are in application.properties.
 */
@ApplicationScoped
public class RunRetention {

    private static final Logger LOG = Logger.getLogger(RunRetention.class);

    @Inject
    Vertx vertx;

    @Inject
    RunDeletion deletion;

    @Inject
    RunDeleter deleter;

    @ConfigProperty(name = "trainwatch.retention.days")
    int days;

    /** Read at start from {@code trainwatch.retention.projects."<project>"=days}. */
    Map<String, Integer> perProject = Map.of();

    @Inject
    org.eclipse.microprofile.config.Config config;

    @ConfigProperty(name = "trainwatch.retention.every")
    Duration every;

    @ConfigProperty(name = "trainwatch.retention.batch")
    int batch;

    @ConfigProperty(name = "trainwatch.retention.pause")
    Duration pause;

    /** Deletion rows are kept as long as processed event ids: a redelivery of that age is not expected any more. */
    @ConfigProperty(name = "trainwatch.ingest.processed-retention")
    Duration deletionMemory;

    private final AtomicBoolean sweeping = new AtomicBoolean();
    private long timer = -1;

    void start(@Observes StartupEvent ignored) {
        if (days < 0) {
            throw new IllegalArgumentException("trainwatch.retention.days: must be >= 0 (0 keeps forever), was " + days);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("trainwatch.retention.batch: must be >= 1, was " + batch);
        }
        perProject = projectDays(config);
        timer = vertx.setPeriodic(Duration.ofMinutes(1).toMillis(), every.toMillis(), id -> {
            if (sweeping.compareAndSet(false, true)) {
                sweep(days, perProject, batch, pause)
                        .call(() -> deletion.purge(deletionMemory))
                        .onTermination().invoke(() -> sweeping.set(false))
                        .subscribe().with(n -> {
                            if (n > 0) {
                                LOG.infof("retention deleted %d finished run(s)", n);
                            }
                        }, f -> LOG.warnf("retention sweep stopped: %s", f.toString()));
            }
        });
    }

    static Map<String, Integer> projectDays(org.eclipse.microprofile.config.Config config) {
        String prefix = "trainwatch.retention.projects.";
        Map<String, Integer> out = new java.util.HashMap<>();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith(prefix)) {
                String project = name.substring(prefix.length());
                if (project.length() > 1 && project.startsWith("\"") && project.endsWith("\"")) {
                    project = project.substring(1, project.length() - 1);
                }
                int days = config.getValue(name, Integer.class);
                if (days < 0) {
                    throw new IllegalArgumentException(name + ": must be >= 0 (0 keeps forever), was " + days);
                }
                out.put(project, days);
            }
        }
        return Map.copyOf(out);
    }

    void stop(@Observes ShutdownEvent ignored) {
        vertx.cancelTimer(timer);
    }

    /** Deletes every expired run, {@code batchSize} per transaction with {@code pauseBetween} between; returns the count. */
    public Uni<Integer> sweep(int defaultDays, Map<String, Integer> projects, int batchSize, Duration pauseBetween) {
        if (defaultDays <= 0 && projects.values().stream().allMatch(d -> d <= 0)) {
            return Uni.createFrom().item(0);
        }
        return sweepFrom(0, defaultDays, projects, batchSize, pauseBetween);
    }

    private Uni<Integer> sweepFrom(int doneSoFar, int defaultDays, Map<String, Integer> projects, int batchSize,
                                   Duration pauseBetween) {
        return deletion.expired(defaultDays, projects, batchSize)
                .chain(ids -> ids.isEmpty() ? Uni.createFrom().item(0) : deleter.deleteFinished(ids).map(java.util.List::size))
                .chain(n -> {
                    if (n < batchSize || n == 0) {
                        return Uni.createFrom().item(doneSoFar + n);
                    }
                    // A pause between batches: the timer frees the event loop, and the horizon moves on in between.
                    Uni<Void> paused = pauseBetween.isZero() ? Uni.createFrom().voidItem()
                            : Uni.createFrom().voidItem().onItem().delayIt().by(pauseBetween);
                    return paused.chain(() -> sweepFrom(doneSoFar + n, defaultDays, projects, batchSize, pauseBetween));
                });
    }
}
