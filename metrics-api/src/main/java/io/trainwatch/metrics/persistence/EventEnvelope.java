package io.trainwatch.metrics.persistence;

import io.trainwatch.contracts.TrainwatchEvent;

/** A decoded run event with its CloudEvents id (the idempotency key). */
public record EventEnvelope(String ceId, TrainwatchEvent event) {
}
