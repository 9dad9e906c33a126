/** Durable event publishing (on-disk spool, Kafka sender) and the run-control consumer that cancels runs. */
package io.trainwatch.trainer.messaging;
