package io.trainwatch.metrics.persistence;

import io.trainwatch.contracts.EpochCompleted;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one ingest transaction changed, for the steps that follow the commit (analysis).
 *
 * @param lastPosition the highest change position drawn by the transaction, 0 when nothing changed
 * @param changedEpochs run id → the epochs whose stored values changed (inserted or different), ascending by epoch
 * @param previousLatestEpoch run id → the run's latest stored epoch before this transaction (absent: none)
 * @param outOfOrder run ids where a changed epoch was not after the run's previous latest epoch
 * @param started run ids whose run.started was applied by this transaction (their analysis settings may change)
 */
public record StoredBatch(long lastPosition, Map<String, List<EpochCompleted>> changedEpochs,
                          Map<String, Integer> previousLatestEpoch, Set<String> outOfOrder, Set<String> started) {

    public static final StoredBatch EMPTY = new StoredBatch(0, Map.of(), Map.of(), Set.of(), Set.of());
}
