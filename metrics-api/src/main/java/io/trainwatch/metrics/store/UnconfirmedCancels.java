package io.trainwatch.metrics.store;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.metrics.MetricsConfig;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

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

    private static final Logger LOG = Logger.getLogger(UnconfirmedCancels.class);

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
        // Checked a few times per limit, so a run turns at most ~1/5 of the limit late.
        long every = Math.max(200, config.cancel().confirmTimeout().toMillis() / 5);
        timer = vertx.setPeriodic(every, every, id -> check());
    }

    /** Stops the timer with the application, so that no check runs against beans already destroyed. */
    void stop(@Observes ShutdownEvent ignored) {
        vertx.cancelTimer(timer);
    }

    void check() {
        store.markCancelUnconfirmed(config.cancel().confirmTimeout()).subscribe().with(this::alert,
                f -> LOG.warnf("cannot check for unconfirmed cancels: %s", f.toString()));
    }

    private void alert(List<String> runIds) {
        Duration timeout = config.cancel().confirmTimeout();
        alerts.warn(ALERT_KIND, runIds, "with a cancel unconfirmed after " + timeout + ", now cancel_unconfirmed",
                "no trainer confirmed the cancel within " + timeout.toSeconds()
                + " s; the cancel stays pending (the run's trainer host may be down)");
    }
}
