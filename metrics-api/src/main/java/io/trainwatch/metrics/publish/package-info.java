/** Stage 4a, publish: events out to Kafka as CloudEvents, to the topic of their type: HTTP ingest to run-events, cancels to run-control, verdicts, alerts and tombstones to run-insights. */
package io.trainwatch.metrics.publish;
