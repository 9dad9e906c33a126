package io.trainwatch.metrics.rest;

import io.trainwatch.contracts.TrainwatchEvent;

/** An event posted over HTTP, with the {@code event_id} its producer chose (null: the API draws a fresh ce_id). */
public record PostedEvent<T extends TrainwatchEvent>(T event, String eventId) {
}
