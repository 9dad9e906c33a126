package io.trainwatch.trainer.models;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import io.trainwatch.trainer.spec.ModelSpec;

import java.util.stream.Collectors;

/** Builds the DJL block a {@link ModelSpec} describes. */
public final class Networks {

    private Networks() {
    }

    /**
     * @param sampleShape the shape of one input sample
     * @param outputs number of classes, or 1 for regression
     */
    public static Block build(ModelSpec spec, long[] sampleShape, int outputs) {
        SequentialBlock net = new SequentialBlock();
        if (spec.type().equals("cnn")) {
            if (sampleShape.length != 3) {
                throw new IllegalArgumentException("model.type: cnn needs images (C × H × W), samples have shape " + new Shape(sampleShape));
            }
            for (int channels : spec.channels()) {
                net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(channels).build())
                        .add(Activation::relu)
                        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            }
        }
        if (sampleShape.length > 1 || spec.type().equals("cnn")) {
            net.add(Blocks.batchFlattenBlock());
        }
        for (int width : spec.hidden()) {
            net.add(Linear.builder().setUnits(width).build()).add(Activation::relu);
            if (spec.dropout() > 0) {
                net.add(Dropout.builder().optRate((float) spec.dropout()).build());
            }
        }
        net.add(Linear.builder().setUnits(outputs).build());
        return net;
    }

    /** "mlp 2→[64, 64]→3 relu" style summary for {@code run.started}. */
    public static String describe(ModelSpec spec, long[] sampleShape, int outputs) {
        String in = sampleShape.length == 1 ? Long.toString(sampleShape[0]) : new Shape(sampleShape).toString();
        String conv = spec.type().equals("cnn")
                ? " conv3x3" + spec.channels().stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")) + "+maxpool"
                : "";
        return spec.type() + " " + in + conv + " → " + spec.hidden() + " → " + outputs + " relu"
                + (spec.dropout() > 0 ? " dropout " + spec.dropout() : "");
    }
}
