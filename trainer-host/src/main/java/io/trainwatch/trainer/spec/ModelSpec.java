package io.trainwatch.trainer.spec;

import java.util.List;

/**
 * The network: an MLP over flat features, or a small CNN over images (IDX data).
 *
 * @param hidden widths of the hidden fully connected layers
 * @param channels output channels of each 3×3 convolution (CNN only), each followed by 2×2 max pooling
 */
public record ModelSpec(String type, List<Integer> hidden, double dropout, List<Integer> channels) {

    public static final List<String> TYPES = List.of("mlp", "cnn");

    public ModelSpec {
        hidden = List.copyOf(hidden);
        channels = List.copyOf(channels);
    }
}
