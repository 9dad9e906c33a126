package io.trainwatch.trainer.training;

import io.trainwatch.trainer.spec.JobSpec;

import java.time.Instant;

/**
 * A job as the REST API shows it.
 *
 * @param epoch the last completed epoch (0-based); null before the first
 * @param progress completed epochs / total epochs, 0..1
 * @param spec the full spec after preset expansion and defaults
 */
public record JobView(
        String runId,
        String name,
        String project,
        String preset,
        JobStatus status,
        Integer epoch,
        int epochsCompleted,
        int totalEpochs,
        double progress,
        String device,
        String reason,
        String requestedBy,
        Instant submittedAt,
        Instant startedAt,
        Instant finishedAt,
        JobSpec spec) {
}
