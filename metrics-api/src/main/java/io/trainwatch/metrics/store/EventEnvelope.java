package io.trainwatch.metrics.store;

import io.trainwatch.contracts.TrainwatchEvent;

/** A decoded run event with its CloudEvents id (the idempotency key). */
public record EventEnvelope(String ceId, TrainwatchEvent event) {
}
