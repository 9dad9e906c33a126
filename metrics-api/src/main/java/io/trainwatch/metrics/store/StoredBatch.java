package io.trainwatch.metrics.store;

import io.trainwatch.contracts.EpochCompleted;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one ingest transaction changed, for the steps that follow the commit (analysis).
 *
 * @param lastPosition the highest change position drawn by the transaction, 0 when nothing changed
 * @param changedEpochs run id → the epochs whose stored values changed (inserted or different), ascending by epoch
 * @param previousLatestEpoch run id → the run's latest stored epoch before this transaction (absent: none)
 * @param outOfOrder run ids where a changed epoch was not after the run's previous latest epoch
 * @param started run ids whose run.started was applied by this transaction (their analysis settings may change)
 * @param resumed run ids that were {@code stalled} and that this transaction made {@code running} again
 */
public record StoredBatch(long lastPosition, Map<String, List<EpochCompleted>> changedEpochs,
                          Map<String, Integer> previousLatestEpoch, Set<String> outOfOrder, Set<String> started,
                          Set<String> resumed) {

    public static final StoredBatch EMPTY = new StoredBatch(0, Map.of(), Map.of(), Set.of(), Set.of());

    /** A batch that resumed no stalled run. */
    public StoredBatch(long lastPosition, Map<String, List<EpochCompleted>> changedEpochs,
                       Map<String, Integer> previousLatestEpoch, Set<String> outOfOrder, Set<String> started) {
        this(lastPosition, changedEpochs, previousLatestEpoch, outOfOrder, started, Set.of());
    }

    /**
     * This batch followed by {@code next}, committed after it, as if both had been one transaction: the after-store
     * steps then do their per-run work (a verdict, its save, its insight event) once for both.
     */
    public StoredBatch then(StoredBatch next) {
        Map<String, List<EpochCompleted>> epochs = new HashMap<>();
        Set<String> runs = new HashSet<>(changedEpochs.keySet());
        runs.addAll(next.changedEpochs.keySet());
        for (String run : runs) {
            // By epoch; of the same epoch in both, the later transaction's value is the stored one.
            TreeMap<Integer, EpochCompleted> byEpoch = new TreeMap<>();
            changedEpochs.getOrDefault(run, List.of()).forEach(e -> byEpoch.put(e.epoch(), e));
            next.changedEpochs.getOrDefault(run, List.of()).forEach(e -> byEpoch.put(e.epoch(), e));
            epochs.put(run, new ArrayList<>(byEpoch.values()));
        }
        // "Before the pair" is before this batch for the runs it touched (absent when it had none), else before next.
        Map<String, Integer> previous = new HashMap<>(next.previousLatestEpoch);
        changedEpochs.keySet().forEach(previous::remove);
        previous.putAll(previousLatestEpoch);
        Set<String> disordered = new HashSet<>(outOfOrder);
        disordered.addAll(next.outOfOrder);
        Set<String> startedRuns = new HashSet<>(started);
        startedRuns.addAll(next.started);
        Set<String> resumedRuns = new HashSet<>(resumed);
        resumedRuns.addAll(next.resumed);
        return new StoredBatch(Math.max(lastPosition, next.lastPosition), epochs, previous, disordered, startedRuns,
                resumedRuns);
    }
}
