/** The metrics-api benchmark (not part of the default test run): ingest rate, history latency, SSE latency, storage. */
package io.trainwatch.metrics.bench;
