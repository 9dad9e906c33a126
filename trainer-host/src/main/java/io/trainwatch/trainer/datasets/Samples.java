package io.trainwatch.trainer.datasets;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Samples in plain Java arrays, ready to become NDArrays: features row-major, one label per sample.
 *
 * @param features {@code size × product(sampleShape)} values, row-major
 * @param sampleShape the shape of one sample ({@code [2]} for spirals, {@code [1, 28, 28]} for MNIST images)
 * @param labels class index (as a float) or regression target
 * @param numClasses number of classes; 0 for regression
 */
public record Samples(float[] features, long[] sampleShape, float[] labels, int numClasses) {

    public Samples {
        long per = Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
        if ((long) labels.length * per != features.length) {
            throw new IllegalArgumentException("features: expected " + labels.length + " × " + per + " values, was " + features.length);
        }
    }

    public int size() {
        return labels.length;
    }

    public int featuresPerSample() {
        return labels.length == 0 ? (int) Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b) : features.length / labels.length;
    }

    public boolean regression() {
        return numClasses == 0;
    }

    /** Share of each class, class index as text → fraction; null for regression. */
    public Map<String, Double> classBalance() {
        if (regression() || size() == 0) {
            return null;
        }
        long[] counts = new long[numClasses];
        for (float l : labels) {
            counts[(int) l]++;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int c = 0; c < numClasses; c++) {
            m.put(Integer.toString(c), counts[c] / (double) size());
        }
        return m;
    }

    /** The samples at the given indexes, in that order. */
    public Samples select(int[] indexes) {
        int per = featuresPerSample();
        float[] f = new float[indexes.length * per];
        float[] l = new float[indexes.length];
        for (int i = 0; i < indexes.length; i++) {
            System.arraycopy(features, indexes[i] * per, f, i * per, per);
            l[i] = labels[indexes[i]];
        }
        return new Samples(f, sampleShape, l, numClasses);
    }
}
