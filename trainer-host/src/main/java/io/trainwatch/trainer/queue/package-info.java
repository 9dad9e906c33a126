/**
 * The job queue that every trainer host serves: {@link io.trainwatch.trainer.queue.JobQueue} puts submitted jobs on
 * Kafka's job topic, {@link io.trainwatch.trainer.queue.JobTaker} takes one whenever this host has a free slot.
 * docs/trainer-host.md § Job queue explains the guarantees.
 */
package io.trainwatch.trainer.queue;
