package io.trainwatch.contracts;

import java.time.Instant;

/**
 * {@code step.sampled}: one optimizer step out of every N, so long epochs are visible while they run.
 * Required: {@code run_id}, {@code global_step}.
 */
public record StepSampled(
        int schemaVersion,
        String runId,
        Integer epoch,
        Long globalStep,
        Instant emittedAt,
        Double loss,
        Double learningRate,
        Double gradNorm) implements TrainwatchEvent {

    public StepSampled {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("global_step", globalStep);
        Limits.nonNegative("global_step", globalStep);
        Limits.epoch("epoch", epoch);
        Limits.nonNegativeOrNonFinite("learning_rate", learningRate);
        Limits.nonNegativeOrNonFinite("grad_norm", gradNorm);
    }

    @Override
    public EventType type() {
        return EventType.STEP_SAMPLED;
    }
}
