/** Benchmarks run by hand (exec:java), outside the default build: publishing overhead on training. */
package io.trainwatch.trainer.bench;
