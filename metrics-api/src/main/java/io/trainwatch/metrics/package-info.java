/** The Trainwatch metrics API: Kafka ingest into PostgreSQL, REST and SSE reads, cancel, analysis on write. */
package io.trainwatch.metrics;
