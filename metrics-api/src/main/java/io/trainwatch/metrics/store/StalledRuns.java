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
import java.util.List;

/**
 * Liveness: a running run whose trainer went quiet (killed, hung, cut off) would otherwise show {@code running}
 * forever. Silent for longer than max({@code trainwatch.liveness.paces} × its median epoch duration,
 * {@code trainwatch.liveness.floor}), or than its own {@code monitor.stall_after_seconds} when its run.started set
 * one, it becomes {@code stalled}, with a warning alert on the insights topic; its next stored epoch, step or
 * heartbeat makes it {@code running} again and resolves the alert. Measured from the run's own pace, so a run with
 * 20-minute epochs is not taken for dead after a minute. Checked every floor / 5 (at least 200 ms).
 */
@ApplicationScoped
public class StalledRuns implements StoredBatchListener {

    public static final String ALERT_KIND = "stalled";

    private static final Logger LOG = Logger.getLogger(StalledRuns.class);

    @Inject
    Vertx vertx;

    @Inject
    RunStore store;

    @Inject
    LifecycleAlerts alerts;

    @Inject
    MetricsConfig config;

    private long timer;

    void start(@Observes StartupEvent ignored) {
        MetricsConfig.Liveness limits = config.liveness();
        long every = Math.max(200, limits.floor().toMillis() / 5);
        timer = vertx.setPeriodic(every, every, id -> store.markStalled(limits.floor(), limits.paces()).subscribe().with(this::alert,
                f -> LOG.warnf("cannot check for stalled runs: %s", f.toString())));
    }

    /** Stops the timer with the application, so that no check runs against beans already destroyed. */
    void stop(@Observes ShutdownEvent ignored) {
        vertx.cancelTimer(timer);
    }

    private void alert(List<String> runIds) {
        MetricsConfig.Liveness limits = config.liveness();
        alerts.warn(ALERT_KIND, runIds, "silent past their limit, now stalled",
                "no event for longer than the run's monitor.stall_after_seconds, or when unset max(" + limits.paces()
                + " × the run's median epoch duration, " + limits.floor().toSeconds() + " s): the trainer may be dead or hung");
    }

    /** A stalled run that sent again (turned {@code running} by the ingest transaction): its alert is resolved. */
    @Override
    public Uni<Void> stored(StoredBatch batch) {
        alerts.resolve(ALERT_KIND, batch.resumed(), "the run sent again: running");
        return Uni.createFrom().voidItem();
    }
}
