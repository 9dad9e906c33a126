/** Stage 1, ingest: Kafka run-event records in (decoded, bad ones dead-lettered with a reason), batches out to store; after the commit, the stored batch goes to its after-store listeners on a per-partition lane. */
package io.trainwatch.metrics.ingest;
