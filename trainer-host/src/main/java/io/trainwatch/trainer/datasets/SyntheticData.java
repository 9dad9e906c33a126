package io.trainwatch.trainer.datasets;

import java.util.Random;

/**
 * Synthetic datasets generated from a seed, so no download is ever needed. The same seed gives the same task
 * (spiral geometry, blob centres, regression weights); training and validation samples come from separate streams.
 */
public final class SyntheticData {

    private SyntheticData() {
    }

    /**
     * Interleaved spiral arms in 2-D, one per class. {@code noise} is the standard deviation of the angle jitter (in
     * radians, scaled by the radius so the centre stays ambiguous) and of a small radial jitter.
     */
    public static Samples spirals(int size, int classes, double noise, Random random) {
        float[] x = new float[size * 2];
        float[] y = new float[size];
        for (int i = 0; i < size; i++) {
            int k = i % classes;
            double r = random.nextDouble();
            double theta = k * 2 * Math.PI / classes + r * 3 * Math.PI + random.nextGaussian() * noise * 1.5;
            double rr = r + random.nextGaussian() * noise * 0.1;
            x[2 * i] = (float) (rr * Math.cos(theta));
            x[2 * i + 1] = (float) (rr * Math.sin(theta));
            y[i] = k;
        }
        return new Samples(x, new long[] {2}, y, classes);
    }

    /** Gaussian blobs: centres uniform in [-5, 5]^features (from {@code taskSeed}), standard deviation {@code noise × 5}. */
    public static Samples blobs(int size, int classes, int features, double noise, long taskSeed, Random random) {
        Random task = new Random(taskSeed);
        double[][] centres = new double[classes][features];
        for (double[] c : centres) {
            for (int j = 0; j < features; j++) {
                c[j] = task.nextDouble() * 10 - 5;
            }
        }
        float[] x = new float[size * features];
        float[] y = new float[size];
        double sd = noise * 5;
        for (int i = 0; i < size; i++) {
            int k = i % classes;
            for (int j = 0; j < features; j++) {
                x[i * features + j] = (float) (centres[k][j] + random.nextGaussian() * sd);
            }
            y[i] = k;
        }
        return new Samples(x, new long[] {features}, y, classes);
    }

    /**
     * A smooth non-linear regression: {@code y = w·x + 0.5 sin(2 x0) + 0.3 x1 x2 + noise × N(0,1)}, x ~ N(0, 1),
     * weights from {@code taskSeed}.
     */
    public static Samples regression(int size, int features, double noise, long taskSeed, Random random) {
        Random task = new Random(taskSeed);
        double[] w = new double[features];
        for (int j = 0; j < features; j++) {
            w[j] = task.nextGaussian();
        }
        float[] x = new float[size * features];
        float[] y = new float[size];
        for (int i = 0; i < size; i++) {
            double target = 0;
            for (int j = 0; j < features; j++) {
                double v = random.nextGaussian();
                x[i * features + j] = (float) v;
                target += w[j] * v;
            }
            target += 0.5 * Math.sin(2 * x[i * features]);
            if (features >= 3) {
                target += 0.3 * x[i * features + 1] * x[i * features + 2];
            }
            y[i] = (float) (target + random.nextGaussian() * noise);
        }
        return new Samples(x, new long[] {features}, y, 0);
    }
}
