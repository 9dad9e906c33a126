package io.trainwatch.metrics.insight;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.trainwatch.analysis.Alert;
import io.trainwatch.analysis.AlertChange;
import io.trainwatch.analysis.AnalysisResult;
import io.trainwatch.analysis.AnalysisSettings;
import io.trainwatch.analysis.RunAnalyzer;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.metrics.history.EpochRow;
import io.trainwatch.metrics.messaging.StoredBatchListener;
import io.trainwatch.metrics.persistence.RunQueries;
import io.trainwatch.metrics.persistence.RunRow;
import io.trainwatch.metrics.persistence.StoredBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Analyses every run a stored batch touched. A run's analyzer is cached and fed the new epochs; it is rebuilt from
 * the stored history when it is missing, when an epoch arrived out of order or was corrected, when the run's
 * settings may have changed (its run.started was applied), or when the stored history moved on without it (another
 * replica analysed it meanwhile). The engine gives the same verdict either way, so the verdict depends on the data
 * only, never on arrival timing. The CPU work runs on a worker thread, never on the event loop; batches come one at
 * a time, so a run's analyzer is never used by two threads at once.
 */
@ApplicationScoped
public class RunAnalysisStage implements StoredBatchListener {

    private static final Logger LOG = Logger.getLogger(RunAnalysisStage.class);
    private static final int CACHE_RUNS = 4096;

    @Inject
    RunQueries queries;

    @Inject
    InsightStore insights;

    @Inject
    ObjectMapper mapper;

    private final Timer analysisTimer;

    private final Map<String, Cached> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > CACHE_RUNS;
        }
    };

    @Inject
    public RunAnalysisStage(MeterRegistry registry) {
        this.analysisTimer = Timer.builder("trainwatch.analysis.batch").description("Analysis time per stored batch")
                .register(registry);
    }

    /** A run's analyzer and what it has seen. */
    private static final class Cached {
        final RunAnalyzer analyzer;
        int lastEpoch = -1;
        final Integer totalEpochs;

        Cached(RunAnalyzer analyzer, Integer totalEpochs) {
            this.analyzer = analyzer;
            this.totalEpochs = totalEpochs;
        }
    }

    @Override
    public Uni<Void> stored(StoredBatch batch) {
        Set<String> runIds = new LinkedHashSet<>(batch.changedEpochs().keySet());
        runIds.addAll(batch.started());
        if (runIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        List<InsightStore.RunVerdict> verdicts = new ArrayList<>();
        for (String runId : runIds) {
            chain = chain.chain(() -> analyse(runId, batch).invoke(v -> v.ifPresent(verdicts::add)).replaceWithVoid());
        }
        return chain.chain(() -> insights.save(verdicts));
    }

    private Uni<Optional<InsightStore.RunVerdict>> analyse(String runId, StoredBatch batch) {
        Cached cached;
        synchronized (cache) {
            cached = cache.get(runId);
        }
        List<EpochCompleted> fresh = batch.changedEpochs().getOrDefault(runId, List.of());
        Integer previousLatest = batch.previousLatestEpoch().get(runId);
        boolean rebuild = cached == null || batch.started().contains(runId) || batch.outOfOrder().contains(runId)
                || cached.lastEpoch != (previousLatest == null ? -1 : previousLatest);
        if (!rebuild) {
            Cached c = cached;
            Map<String, Alert> touched = new LinkedHashMap<>();
            return worker(() -> feed(c, fresh, touched)).chain(result -> result == null
                    ? Uni.createFrom().item(Optional.<InsightStore.RunVerdict>empty())
                    : queries.run(runId).map(run -> run.map(r -> verdict(r, result, touched, false))));
        }
        return queries.run(runId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<InsightStore.RunVerdict>empty());
            }
            RunRow run = found.get();
            return queries.epochs(run, null).chain(history -> {
                if (history.isEmpty()) {
                    return Uni.createFrom().item(Optional.<InsightStore.RunVerdict>empty());
                }
                Map<String, Alert> touched = new LinkedHashMap<>();
                return worker(() -> {
                    Cached c = new Cached(new RunAnalyzer(settings(run)), run.totalEpochs());
                    AnalysisResult result = null;
                    for (EpochRow row : history) {
                        result = c.analyzer.onEpoch(Points.of(row, run.totalEpochs()));
                        c.lastEpoch = row.epoch();
                        record(result, touched);
                    }
                    synchronized (cache) {
                        cache.put(runId, c);
                    }
                    return result;
                }).map(result -> Optional.of(verdict(run, result, touched, true)));
            });
        });
    }

    private AnalysisResult feed(Cached c, List<EpochCompleted> fresh, Map<String, Alert> touched) {
        AnalysisResult result = null;
        for (EpochCompleted e : fresh) {
            result = c.analyzer.onEpoch(Points.of(e, c.totalEpochs));
            c.lastEpoch = e.epoch();
            record(result, touched);
        }
        return result;
    }

    /** Keeps the latest state of every alert that opened or resolved. */
    private static void record(AnalysisResult result, Map<String, Alert> touched) {
        for (AlertChange change : result.alertChanges()) {
            touched.put(change.alert().id(), change.alert());
        }
    }

    private InsightStore.RunVerdict verdict(RunRow run, AnalysisResult result, Map<String, Alert> touched,
                                            boolean rebuilt) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("run_id", run.id());
        doc.setAll((ObjectNode) mapper.valueToTree(result.verdict()));
        return new InsightStore.RunVerdict(run, result.verdict(), doc, List.copyOf(touched.values()), rebuilt);
    }

    private AnalysisSettings settings(RunRow run) {
        try {
            return Points.settings(run.started());
        } catch (IllegalArgumentException e) {
            LOG.warnf("run %s: monitor settings ignored, defaults used: %s", run.id(), e.getMessage());
            return AnalysisSettings.defaults();
        }
    }

    private <T> Uni<T> worker(java.util.function.Supplier<T> work) {
        return Uni.createFrom().item(() -> {
            long start = System.nanoTime();
            try {
                return work.get();
            } finally {
                analysisTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
}
