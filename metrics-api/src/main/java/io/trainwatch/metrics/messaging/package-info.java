/** Kafka in and out: the run-event ingest consumer, the dead-letter publisher, and the event, control and insight publishers. */
package io.trainwatch.metrics.messaging;
