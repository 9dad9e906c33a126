package io.trainwatch.analysis;

import java.util.Map;

/**
 * What the engine reads of one epoch. {@code null} means "not measured" (never zero); losses and norms may be NaN or
 * ±Infinity, because a diverged epoch is a fact the engine must see.
 *
 * @param epoch 0-based epoch number; a run's epochs arrive strictly increasing, gaps allowed
 * @param durationMs wall time of the epoch, used for throughput, ETA and compute spent after the best epoch
 * @param gradNorm global L2 gradient norm, mean over the epoch's steps, before clipping
 * @param gradNormMax the largest global gradient norm of any step in the epoch
 * @param layerGradNorms parameter name → mean L2 norm of its gradient
 * @param clippedSteps steps of this epoch whose gradient was clipped
 * @param globalStep optimizer steps since the run began, at the end of this epoch (gives steps per epoch)
 * @param totalEpochs the epochs the run is configured for (gives the ETA and the forecast horizon)
 */
public record EpochPoint(
        int epoch,
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
        Integer clippedSteps,
        Long globalStep,
        Integer totalEpochs) {

    public EpochPoint {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch: must be >= 0, was " + epoch);
        }
        layerGradNorms = layerGradNorms == null ? null : copyMeasured(layerGradNorms);
    }

    /** An unmodifiable copy without null names or values (a layer without a value was not measured). */
    private static Map<String, Double> copyMeasured(Map<String, Double> layers) {
        Map<String, Double> copy = new java.util.LinkedHashMap<>();
        layers.forEach((name, value) -> {
            if (name != null && value != null) {
                copy.put(name, value);
            }
        });
        return java.util.Collections.unmodifiableMap(copy);
    }

    /** An epoch with losses only; everything else not measured. */
    public static EpochPoint ofLosses(int epoch, Double trainLoss, Double valLoss) {
        return new EpochPoint(epoch, trainLoss, valLoss, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    public EpochPoint withAccuracy(Double train, Double val) {
        return new EpochPoint(epoch, trainLoss, valLoss, train, val, learningRate, durationMs, samplesPerSecond,
                gradNorm, gradNormMax, layerGradNorms, clippedSteps, globalStep, totalEpochs);
    }

    public EpochPoint withLearningRate(Double lr) {
        return new EpochPoint(epoch, trainLoss, valLoss, trainAccuracy, valAccuracy, lr, durationMs,
                samplesPerSecond, gradNorm, gradNormMax, layerGradNorms, clippedSteps, globalStep, totalEpochs);
    }

    public EpochPoint withTiming(Long duration, Double samplesPerSec, Integer total) {
        return new EpochPoint(epoch, trainLoss, valLoss, trainAccuracy, valAccuracy, learningRate, duration,
                samplesPerSec, gradNorm, gradNormMax, layerGradNorms, clippedSteps, globalStep, total);
    }

    public EpochPoint withGradients(Double norm, Double normMax, Map<String, Double> layers, Integer clipped,
            Long step) {
        return new EpochPoint(epoch, trainLoss, valLoss, trainAccuracy, valAccuracy, learningRate, durationMs,
                samplesPerSecond, norm, normMax, layers, clipped, step, totalEpochs);
    }
}
