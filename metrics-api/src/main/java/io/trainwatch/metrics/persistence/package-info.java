/** PostgreSQL through the reactive client: batched idempotent writes per Kafka batch, and the reads behind REST and SSE. */
package io.trainwatch.metrics.persistence;
