package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunStatus;

/** How a run ended, as its {@code run.finished} says. */
public record RunOutcome(RunStatus status, String reason, int epochsCompleted, String requestedBy) {
}
