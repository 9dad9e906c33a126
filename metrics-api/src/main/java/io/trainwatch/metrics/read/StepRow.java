package io.trainwatch.metrics.read;

import java.time.Instant;
import java.util.List;

/** A stored {@code step.sampled}, as read back; absent values null. */
public record StepRow(long globalStep, Integer epoch, Instant emittedAt, Double loss, Double learningRate, Double gradNorm)
        implements HistoryRow {

    /** Every field a step can carry; {@code global_step} is the key and always returned. */
    public static final List<String> FIELDS = List.of("epoch", "emitted_at", "loss", "learning_rate", "grad_norm");

    @Override
    public long key() {
        return globalStep;
    }

    @Override
    public Object get(String field) {
        return switch (field) {
            case "global_step" -> globalStep;
            case "epoch" -> epoch;
            case "emitted_at" -> emittedAt;
            case "loss" -> loss;
            case "learning_rate" -> learningRate;
            case "grad_norm" -> gradNorm;
            default -> throw new IllegalArgumentException("unknown step field " + field);
        };
    }
}
