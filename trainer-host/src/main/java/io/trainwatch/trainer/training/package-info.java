/** The DJL training loop, its metrics listener and the bounded executor that runs jobs on their own threads. */
package io.trainwatch.trainer.training;
