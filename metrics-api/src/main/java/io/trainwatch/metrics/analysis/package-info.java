/** Stage 3, analysis: a stored batch in, the engine run over each changed run (replaying its history when needed), verdicts and alert transitions out to store and publish. */
package io.trainwatch.metrics.analysis;
