/** Stage 2, store: decoded event batches in, one idempotent PostgreSQL transaction out (runs, epochs, steps, verdicts, alerts, deletions), each ending with one change notice; liveness, cancel and retention checks over the stored runs. */
package io.trainwatch.metrics.store;
