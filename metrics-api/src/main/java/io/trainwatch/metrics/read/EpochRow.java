package io.trainwatch.metrics.read;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A stored epoch, as read back: the {@code epoch.completed} fields, absent values null. */
public record EpochRow(
        int epoch,
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
        Map<String, Double> extra) implements HistoryRow {

    /** Every field an epoch can carry, in the order of the contract; {@code epoch} is the key and always returned. */
    public static final List<String> FIELDS = List.of("global_step", "emitted_at", "train_loss", "val_loss",
            "train_accuracy", "val_accuracy", "learning_rate", "duration_ms", "samples_per_second", "grad_norm",
            "grad_norm_max", "layer_grad_norms", "param_norm", "clipped_steps", "memory_bytes", "extra");

    @Override
    public long key() {
        return epoch;
    }

    @Override
    public Object get(String field) {
        return switch (field) {
            case "epoch" -> epoch;
            case "global_step" -> globalStep;
            case "emitted_at" -> emittedAt;
            case "train_loss" -> trainLoss;
            case "val_loss" -> valLoss;
            case "train_accuracy" -> trainAccuracy;
            case "val_accuracy" -> valAccuracy;
            case "learning_rate" -> learningRate;
            case "duration_ms" -> durationMs;
            case "samples_per_second" -> samplesPerSecond;
            case "grad_norm" -> gradNorm;
            case "grad_norm_max" -> gradNormMax;
            case "layer_grad_norms" -> layerGradNorms;
            case "param_norm" -> paramNorm;
            case "clipped_steps" -> clippedSteps;
            case "memory_bytes" -> memoryBytes;
            case "extra" -> extra;
            default -> throw new IllegalArgumentException("unknown epoch field " + field);
        };
    }
}
