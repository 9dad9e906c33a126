package io.trainwatch.trainer.spec;

import java.util.List;

/**
 * The optimizer. {@code adam} adds weight decay to the gradient (L2); {@code adamw} decouples it.
 *
 * @param momentum SGD momentum; null for Adam/AdamW
 */
public record OptimizerSpec(String type, double learningRate, Double momentum, double weightDecay) {

    public static final List<String> TYPES = List.of("sgd", "adam", "adamw");
}
