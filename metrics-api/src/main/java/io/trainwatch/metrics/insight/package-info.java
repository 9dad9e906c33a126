/** Analysis on write: per-run analyzers fed after each stored batch, verdicts and alerts stored, sent to SSE and Kafka. */
package io.trainwatch.metrics.insight;
