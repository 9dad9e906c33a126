package io.trainwatch.metrics.store;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
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
 * may run it: a run deleted by one is skipped by the others. The defaults are in {@link MetricsConfig.Retention}.
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

    @Inject
    MetricsConfig config;

    private final AtomicBoolean sweeping = new AtomicBoolean();
    private long timer = -1;

    void start(@Observes StartupEvent ignored) {
        MetricsConfig.Retention retention = config.retention();
        int days = retention.days();
        if (days < 0) {
            throw new IllegalArgumentException("trainwatch.retention.days: must be >= 0 (0 keeps forever), was " + days);
        }
        int batch = retention.batch();
        if (batch < 1) {
            throw new IllegalArgumentException("trainwatch.retention.batch: must be >= 1, was " + batch);
        }
        Map<String, Integer> perProject = projectDays(retention.projects());
        Duration pause = retention.pause();
        Duration deletionMemory = config.ingest().processedRetention();
        timer = vertx.setPeriodic(Duration.ofMinutes(1).toMillis(), retention.every().toMillis(), id -> {
            if (sweeping.compareAndSet(false, true)) {
                sweep(days, perProject, batch, pause)
                        // Deletion rows are kept as long as processed event ids: a redelivery of that age is not expected.
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

    /** {@code trainwatch.retention.projects."<project>"=days}, each checked like {@code trainwatch.retention.days}. */
    static Map<String, Integer> projectDays(Map<String, Integer> projects) {
        projects.forEach((project, days) -> {
            if (days < 0) {
                throw new IllegalArgumentException("trainwatch.retention.projects.\"" + project
                        + "\": must be >= 0 (0 keeps forever), was " + days);
            }
        });
        return Map.copyOf(projects);
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
