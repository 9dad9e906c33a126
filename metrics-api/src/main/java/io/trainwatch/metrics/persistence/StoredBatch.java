package io.trainwatch.metrics.persistence;

import java.util.List;
import java.util.Map;

/**
 * What one ingest transaction changed.
 *
 * @param lastPosition the highest change position drawn by the transaction, 0 when nothing changed
 * @param changedEpochs run id → epochs whose stored values changed (inserted or different), ascending
 * @param outOfOrder run ids where a changed epoch was not after the run's previous latest epoch
 */
public record StoredBatch(long lastPosition, Map<String, List<Integer>> changedEpochs, java.util.Set<String> outOfOrder) {

    public static final StoredBatch EMPTY = new StoredBatch(0, Map.of(), java.util.Set.of());
}
