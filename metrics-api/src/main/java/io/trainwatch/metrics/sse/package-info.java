/** Server-Sent Events: a change feed fed by PostgreSQL LISTEN, fanned out to per-client bounded buffers, resumable by id. */
package io.trainwatch.metrics.sse;
