package io.trainwatch.metrics.store;

import io.trainwatch.contracts.AlertOpened;
import io.trainwatch.contracts.AlertResolved;
import io.trainwatch.contracts.Severity;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.publish.TopicPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * The warning a lifecycle check ({@link StalledRuns}, {@link UnconfirmedCancels}) raises for the runs it just turned:
 * one log line with the count, and one {@code alert.opened} per run on the insights topic; and its
 * {@code alert.resolved} when the condition ended. The alert id is the kind: a run has at most one open of each.
 */
@ApplicationScoped
public class LifecycleAlerts {

    private static final Logger LOG = Logger.getLogger(LifecycleAlerts.class);

    @Inject
    TopicPublisher publisher;

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
