package io.trainwatch.metrics.store;

import io.smallrye.mutiny.Uni;

/** Told after each ingest transaction committed (the analysis runs here); a failure fails the batch's acknowledgement. */
public interface StoredBatchListener {

    Uni<Void> stored(StoredBatch batch);
}
