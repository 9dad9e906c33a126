package io.trainwatch.contracts;

import java.time.Instant;
import java.util.Map;

/**
 * {@code epoch.completed}: everything measured over one epoch. Required: {@code run_id}, {@code epoch} (0-based).
 * A value that was not measured is absent (null here), never zero. Losses may be NaN or ±Infinity: a diverged
 * epoch is a fact worth keeping.
 *
 * @param globalStep optimizer steps taken since the run began, at the end of this epoch
 * @param learningRate the learning rate applied in the last step of the epoch
 * @param durationMs wall time of the epoch (training and validation), milliseconds
 * @param samplesPerSecond training samples per second over the epoch
 * @param gradNorm global L2 norm of the gradients, mean over the epoch's steps (before clipping)
 * @param gradNormMax the largest global L2 gradient norm of any step of the epoch
 * @param layerGradNorms parameter name → L2 norm of its gradient, mean over the epoch's steps
 * @param paramNorm global L2 norm of the parameters at the end of the epoch
 * @param clippedSteps steps whose gradient was clipped
 * @param memoryBytes memory in use by the training process (device memory on a GPU)
 * @param extra user metrics, name → number
 */
public record EpochCompleted(
        int schemaVersion,
        String runId,
        Integer epoch,
        Integer totalEpochs,
        Long globalStep,
        Instant emittedAt,
        Double trainLoss,
        Double valLoss,
        Double trainAccuracy,
        Double valAccuracy,
        Double learningRate,
        Long durationMs,
        Double samplesPerSecond,
        Double gradNorm,
        Double gradNormMax,
        Map<String, Double> layerGradNorms,
        Double paramNorm,
        Integer clippedSteps,
        Long memoryBytes,
        Map<String, Double> extra) implements TrainwatchEvent {

    public EpochCompleted {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.required("epoch", epoch);
        Limits.epoch("epoch", epoch);
        Limits.positive("total_epochs", totalEpochs);
        Limits.nonNegative("global_step", globalStep);
        Limits.nonNegativeOrNonFinite("learning_rate", learningRate);
        Limits.nonNegative("duration_ms", durationMs);
        Limits.nonNegativeOrNonFinite("samples_per_second", samplesPerSecond);
        Limits.nonNegativeOrNonFinite("grad_norm", gradNorm);
        Limits.nonNegativeOrNonFinite("grad_norm_max", gradNormMax);
        layerGradNorms = Limits.map("layer_grad_norms", layerGradNorms, Limits.MAX_LAYERS);
        Limits.nonNegativeOrNonFinite("param_norm", paramNorm);
        Limits.nonNegative("clipped_steps", clippedSteps);
        Limits.nonNegative("memory_bytes", memoryBytes);
        extra = Limits.map("extra", extra, Limits.MAX_EXTRA);
    }

    /** Starts a builder for the two required fields; set what was measured with the {@code opt*} methods. */
    public static Builder builder(String runId, int epoch) {
        return new Builder(runId, epoch);
    }

    @Override
    public EventType type() {
        return EventType.EPOCH_COMPLETED;
    }

    /** Builds an {@link EpochCompleted}: required values in the constructor, optional ones with {@code opt*}. */
    public static final class Builder {
        private final String runId;
        private final int epoch;
        private Integer totalEpochs;
        private Long globalStep;
        private Instant emittedAt;
        private Double trainLoss;
        private Double valLoss;
        private Double trainAccuracy;
        private Double valAccuracy;
        private Double learningRate;
        private Long durationMs;
        private Double samplesPerSecond;
        private Double gradNorm;
        private Double gradNormMax;
        private Map<String, Double> layerGradNorms;
        private Double paramNorm;
        private Integer clippedSteps;
        private Long memoryBytes;
        private Map<String, Double> extra;

        private Builder(String runId, int epoch) {
            this.runId = runId;
            this.epoch = epoch;
        }

        public Builder optTotalEpochs(Integer v) { this.totalEpochs = v; return this; }
        public Builder optGlobalStep(Long v) { this.globalStep = v; return this; }
        public Builder optEmittedAt(Instant v) { this.emittedAt = v; return this; }
        public Builder optTrainLoss(Double v) { this.trainLoss = v; return this; }
        public Builder optValLoss(Double v) { this.valLoss = v; return this; }
        public Builder optTrainAccuracy(Double v) { this.trainAccuracy = v; return this; }
        public Builder optValAccuracy(Double v) { this.valAccuracy = v; return this; }
        public Builder optLearningRate(Double v) { this.learningRate = v; return this; }
        public Builder optDurationMs(Long v) { this.durationMs = v; return this; }
        public Builder optSamplesPerSecond(Double v) { this.samplesPerSecond = v; return this; }
        public Builder optGradNorm(Double v) { this.gradNorm = v; return this; }
        public Builder optGradNormMax(Double v) { this.gradNormMax = v; return this; }
        public Builder optLayerGradNorms(Map<String, Double> v) { this.layerGradNorms = v; return this; }
        public Builder optParamNorm(Double v) { this.paramNorm = v; return this; }
        public Builder optClippedSteps(Integer v) { this.clippedSteps = v; return this; }
        public Builder optMemoryBytes(Long v) { this.memoryBytes = v; return this; }
        public Builder optExtra(Map<String, Double> v) { this.extra = v; return this; }

        public EpochCompleted build() {
            return new EpochCompleted(CURRENT_SCHEMA_VERSION, runId, epoch, totalEpochs, globalStep, emittedAt,
                    trainLoss, valLoss, trainAccuracy, valAccuracy, learningRate, durationMs, samplesPerSecond,
                    gradNorm, gradNormMax, layerGradNorms, paramNorm, clippedSteps, memoryBytes, extra);
        }
    }
}
