package io.trainwatch.metrics.store;

import io.trainwatch.contracts.AlertOpened;
import io.trainwatch.contracts.AlertResolved;
import io.trainwatch.contracts.Severity;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.publish.TopicPublisher;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The warning a lifecycle check ({@link StalledRuns}, {@link UnconfirmedCancels}) raises for the runs it just turned:
 * one log line with the count, and one {@code alert.opened} per run on the insights topic; and its
 * {@code alert.resolved} when the condition ended. The alert id is the kind: a run has at most one open of each.
 * Also runs the checks themselves, each on its own timer, stopped with the application.
 */
@ApplicationScoped
public class LifecycleAlerts {

    private static final Logger LOG = Logger.getLogger(LifecycleAlerts.class);

    @Inject
    TopicPublisher publisher;

    @Inject
    Vertx vertx;

    private final List<Long> timers = new CopyOnWriteArrayList<>();

    /**
     * Runs {@code check} (which turns runs and answers their ids) a few times per {@code limit}, so a run turns at
     * most ~1/5 of the limit late (every 200 ms at least), and hands the ids to {@code turned}.
     */
    void every(Duration limit, String what, Supplier<Uni<List<String>>> check, Consumer<List<String>> turned) {
        long every = Math.max(200, limit.toMillis() / 5);
        timers.add(vertx.setPeriodic(every, every, id -> check.get().subscribe().with(turned,
                f -> LOG.warnf("cannot check for %s: %s", what, f.toString()))));
    }

    /** Stops the checks with the application, so that none runs against beans already destroyed. */
    void stop(@Observes ShutdownEvent ignored) {
        timers.forEach(vertx::cancelTimer);
    }

    /** {@code summary} is logged with the count and the first ten ids; {@code message} goes into each alert. */
    void warn(String kind, List<String> runIds, String summary, String message) {
        if (runIds.isEmpty()) {
            return;
        }
        LOG.warnf("%d run(s) %s: %s", runIds.size(), summary, runIds.size() <= 10 ? runIds : runIds.subList(0, 10) + " …");
        for (String runId : runIds) {
            AlertOpened alert = new AlertOpened(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, kind, kind,
                    Severity.WARNING, null, message);
            publisher.publish(alert).subscribe().with(ok -> { },
                    f -> LOG.warnf("alert %s for run %s not published: %s", kind, runId, f.toString()));
        }
    }

    /** One {@code alert.resolved} per run for the alert {@link #warn} opened with this {@code kind}. */
    void resolve(String kind, java.util.Collection<String> runIds, String message) {
        for (String runId : runIds) {
            AlertResolved resolved = new AlertResolved(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, kind, kind,
                    Severity.WARNING, null, null, message);
            publisher.publish(resolved).subscribe().with(ok -> { },
                    f -> LOG.warnf("alert.resolved %s for run %s not published: %s", kind, runId, f.toString()));
        }
    }
}
