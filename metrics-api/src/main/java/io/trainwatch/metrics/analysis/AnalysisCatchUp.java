package io.trainwatch.metrics.analysis;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.ingest.RunEventIngest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * Brings stale verdicts up to date at start. Rows are committed before their analysis runs, so a replica that stops
 * between the two leaves runs whose stored verdict is older than their stored epochs (or missing). Without this, such
 * a run's verdict would wait for the run's next event, which never comes for a run that has ended. Runs are rebuilt
 * from their stored history, through the ingest's after-store lane, a chunk at a time; several replicas starting
 * together may both do it, which is harmless (the verdict depends on the data only; alert transitions are diffed).
 */
@ApplicationScoped
public class AnalysisCatchUp {

    private static final Logger LOG = Logger.getLogger(AnalysisCatchUp.class);
    private static final int CHUNK = 100;

    @Inject
    Pool pool;

    @Inject
    RunEventIngest ingest;

    @Inject
    MetricsConfig config;

    void onStart(@Observes StartupEvent ignored) {
        if (!config.analysis().enabled()) {
            return;
        }
        catchUp().subscribe().with(n -> {
            if (n > 0) {
                LOG.infof("analysis caught up for %d runs whose verdict was behind their stored epochs", n);
            }
        }, f -> LOG.warnf("analysis catch-up failed (verdicts update with each run's next event): %s", f.toString()));
    }

    /** Re-analyses every run whose stored verdict is behind its stored epochs; the number of such runs. */
    public Uni<Integer> catchUp() {
        return pool.preparedQuery("SELECT r.id FROM runs r LEFT JOIN run_analysis a USING (run_key) "
                        + "WHERE r.latest_epoch IS NOT NULL AND (a.epoch IS NULL OR a.epoch < r.latest_epoch) "
                        + "ORDER BY r.run_key DESC LIMIT $1")
                .execute(Tuple.of(config.analysis().catchUpRuns()))
                .chain(rows -> {
                    List<String> ids = new ArrayList<>();
                    for (Row r : rows) {
                        ids.add(r.getString(0));
                    }
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (int i = 0; i < ids.size(); i += CHUNK) {
                        List<String> chunk = ids.subList(i, Math.min(ids.size(), i + CHUNK));
                        chain = chain.chain(() -> ingest.reanalyse(chunk));
                    }
                    return chain.replaceWith(ids.size());
                });
    }
}
