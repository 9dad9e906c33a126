package io.trainwatch.metrics.store;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

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

    @Inject
    RunStore store;

    @Inject
    LifecycleAlerts alerts;

    @Inject
    MetricsConfig config;

    void start(@Observes StartupEvent ignored) {
        MetricsConfig.Liveness limits = config.liveness();
        alerts.every(limits.floor(), "stalled runs", () -> store.markStalled(limits.floor(), limits.paces()),
                this::alert);
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
