package io.trainwatch.metrics.messaging;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.persistence.StoredBatch;

/** Told after each ingest transaction committed (the analysis runs here); a failure fails the batch's acknowledgement. */
public interface StoredBatchListener {

    Uni<Void> stored(StoredBatch batch);
}
