/** Stage 4b, live: PostgreSQL change notices in, Server-Sent Events out: a change feed fanned out to per-client bounded buffers, resumable by Last-Event-ID; the SSE endpoints. */
package io.trainwatch.metrics.live;
