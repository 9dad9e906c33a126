package io.trainwatch.metrics.analysis;

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
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.read.EpochRow;
import io.trainwatch.metrics.publish.InsightPublisher;
import io.trainwatch.metrics.store.StoredBatchListener;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.store.RunVerdict;
import io.trainwatch.metrics.store.StoredBatch;
import io.trainwatch.metrics.store.VerdictStore;
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
public class BatchAnalysis implements StoredBatchListener {

    private static final Logger LOG = Logger.getLogger(BatchAnalysis.class);
    private static final int CACHE_RUNS = 4096;

    @Inject
    RunQueries queries;

    @Inject
    VerdictStore verdicts;

    @Inject
    InsightPublisher insights;

    @Inject
    ObjectMapper mapper;

    private final Timer analysisTimer;
    private final Timer saveTimer;

    private final Map<String, Cached> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > CACHE_RUNS;
        }
    };

    @Inject
    public BatchAnalysis(MeterRegistry registry) {
        this.analysisTimer = Timer.builder("trainwatch.analysis.batch").description("Analysis time per stored batch")
                .register(registry);
        this.saveTimer = Timer.builder("trainwatch.analysis.save").description("Time to store verdicts and alerts")
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

    @Inject
    MetricsConfig config;

    @Override
    public Uni<Void> stored(StoredBatch batch) {
        if (!config.analysis().enabled()) {
            return Uni.createFrom().voidItem();
        }
        Set<String> runIds = new LinkedHashSet<>(batch.changedEpochs().keySet());
        runIds.addAll(batch.started());
        if (runIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // One query for the batch's runs, one per run that needs a replay, one worker task for all the CPU work.
        return queries.runs(List.copyOf(runIds)).chain(rows -> {
            List<Uni<Void>> loads = new ArrayList<>();
            Map<String, List<EpochRow>> histories = new java.util.concurrent.ConcurrentHashMap<>();
            List<RunRow> runs = new ArrayList<>();
            for (RunRow run : rows) {
                runs.add(run);
                if (needsReplay(run.id(), batch)) {
                    loads.add(queries.epochs(run, null).invoke(h -> histories.put(run.id(), h)).replaceWithVoid());
                }
            }
            Uni<Void> loaded = loads.isEmpty() ? Uni.createFrom().voidItem()
                    : Uni.join().all(loads).andFailFast().replaceWithVoid();
            return loaded.chain(() -> worker(() -> analyseAll(runs, histories, batch)));
        }).chain(verdicts -> {
            long start = System.nanoTime();
            return this.verdicts.save(verdicts).invoke(events -> {
                saveTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                insights.publish(events);
            }).replaceWithVoid();
        });
    }

    private boolean needsReplay(String runId, StoredBatch batch) {
        Cached cached;
        synchronized (cache) {
            cached = cache.get(runId);
        }
        Integer previousLatest = batch.previousLatestEpoch().get(runId);
        return cached == null || batch.started().contains(runId) || batch.outOfOrder().contains(runId)
                || cached.lastEpoch != (previousLatest == null ? -1 : previousLatest);
    }

    private List<RunVerdict> analyseAll(List<RunRow> runs, Map<String, List<EpochRow>> histories,
                                                     StoredBatch batch) {
        List<RunVerdict> verdicts = new ArrayList<>();
        for (RunRow run : runs) {
            Map<String, Alert> touched = new LinkedHashMap<>();
            List<EpochRow> history = histories.get(run.id());
            AnalysisResult result = null;
            boolean rebuilt = history != null;
            if (rebuilt) {
                Cached c = new Cached(new RunAnalyzer(settings(run)), run.totalEpochs());
                for (int i = 0; i < history.size(); i++) {
                    EpochRow row = history.get(i);
                    result = step(c, EpochPoints.of(row, run.totalEpochs()), i == history.size() - 1, touched);
                    c.lastEpoch = row.epoch();
                }
                synchronized (cache) {
                    if (history.isEmpty()) {
                        cache.remove(run.id());
                    } else {
                        cache.put(run.id(), c);
                    }
                }
            } else {
                Cached c;
                synchronized (cache) {
                    c = cache.get(run.id());
                }
                if (c != null) {
                    result = feed(c, batch.changedEpochs().getOrDefault(run.id(), List.of()), touched);
                }
            }
            if (result != null) {
                verdicts.add(verdict(run, result, touched, rebuilt));
            }
        }
        return verdicts;
    }

    private AnalysisResult feed(Cached c, List<EpochCompleted> fresh, Map<String, Alert> touched) {
        AnalysisResult result = null;
        for (int i = 0; i < fresh.size(); i++) {
            EpochCompleted e = fresh.get(i);
            result = step(c, EpochPoints.of(e, c.totalEpochs), i == fresh.size() - 1, touched);
            c.lastEpoch = e.epoch();
        }
        return result;
    }

    /**
     * One epoch into the run's analyzer. Only the batch's last epoch gets a verdict (the one stored and published);
     * the others only move the rules' state and the alerts, which skips most of the engine's work per epoch.
     */
    private static AnalysisResult step(Cached c, io.trainwatch.analysis.EpochPoint point, boolean last,
                                       Map<String, Alert> touched) {
        AnalysisResult result = last ? c.analyzer.onEpoch(point) : new AnalysisResult(null, c.analyzer.observe(point));
        // Keeps the latest state of every alert that opened or resolved.
        for (AlertChange change : result.alertChanges()) {
            touched.put(change.alert().id(), change.alert());
        }
        return result;
    }

    private RunVerdict verdict(RunRow run, AnalysisResult result, Map<String, Alert> touched,
                                            boolean rebuilt) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("run_id", run.id());
        doc.setAll((ObjectNode) mapper.valueToTree(result.verdict()));
        return new RunVerdict(run, result.verdict(), doc, List.copyOf(touched.values()), rebuilt);
    }

    private AnalysisSettings settings(RunRow run) {
        try {
            return EpochPoints.settings(run.started());
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
