package io.trainwatch.metrics.store;

import io.quarkus.runtime.StartupEvent;
import io.trainwatch.metrics.MetricsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;

/**
 * A cancel is acknowledged by the trainer's run.finished. One that is not within {@code trainwatch.cancel.confirm-timeout}
 * turns the run {@code cancel_unconfirmed} and opens a warning alert on the insights topic, so that nobody waits on
 * a {@code cancelling} that will never end (no trainer owns the run any more). The cancel stays pending: a late
 * run.finished still ends the run. Any replica may do it; the update is one statement, so each run turns once.
 */
@ApplicationScoped
public class UnconfirmedCancels {

    public static final String ALERT_KIND = "cancel_unconfirmed";


    @Inject
    RunStore store;

    @Inject
    LifecycleAlerts alerts;

    @Inject
    MetricsConfig config;

    void start(@Observes StartupEvent ignored) {
        alerts.every(config.cancel().confirmTimeout(), "unconfirmed cancels",
                () -> store.markCancelUnconfirmed(config.cancel().confirmTimeout()), this::alert);
    }

    private void alert(List<String> runIds) {
        Duration timeout = config.cancel().confirmTimeout();
        alerts.warn(ALERT_KIND, runIds, "with a cancel unconfirmed after " + timeout + ", now cancel_unconfirmed",
                "no trainer confirmed the cancel within " + timeout.toSeconds()
                + " s; the cancel stays pending (the run's trainer host may be down)");
    }
}
