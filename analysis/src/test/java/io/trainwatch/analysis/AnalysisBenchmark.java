package io.trainwatch.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cost of one epoch event: feeds many 1,000-epoch runs (every field measured, 8 layer norms) through
 * {@link RunAnalyzer#onEpoch}, after a warm-up, and prints the mean and p99 µs per epoch. A main, not a test: timing
 * belongs on a quiet machine, not in the build.
 *
 * <p>Run (from the repository root; the exec plugin is in the offline repository):
 * {@code ./mvnw -B -o -q -pl analysis test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.mainClass=io.trainwatch.analysis.AnalysisBenchmark -Dexec.classpathScope=test -Dexec.args=600}
 */
public final class AnalysisBenchmark {

    private AnalysisBenchmark() {
    }

    static List<EpochPoint> run(int seed) {
        List<EpochPoint> epochs = new ArrayList<>(1000);
        long step = 0;
        for (int e = 0; e < 1000; e++) {
            step += 250;
            double n = Curves.noise(e + seed * 7919);
            double train = 0.05 + 2.0 * Math.exp(-e / 150.0) * (1 + 0.03 * n);
            double val = (e < 600 ? 0.15 + 2.0 * Math.exp(-e / 150.0) : 0.15 + 2.0 * Math.exp(-4.0) + 0.0002 * (e - 600))
                    * (1 + 0.04 * Curves.noise(e + 31 + seed));
            Map<String, Double> layers = new LinkedHashMap<>();
            for (int l = 0; l < 8; l++) {
                layers.put("layer" + l + ".weight", (l + 1) * 0.01 * (1 + 0.1 * n));
            }
            epochs.add(new EpochPoint(e, train, val, 1 - train / 3, 1 - val / 3, e < 500 ? 1e-3 : 1e-4, 900L + e % 7,
                    12000.0 - e, 1.0 + 0.2 * n, 3.0 + n, layers, e % 10, step, 1000));
        }
        return epochs;
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        List<List<EpochPoint>> inputs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            inputs.add(run(i));
        }
        // Warm-up: let the JIT compile the hot paths.
        long sink = 0;
        for (int i = 0; i < 60; i++) {
            RunAnalyzer a = new RunAnalyzer(AnalysisSettings.defaults());
            for (EpochPoint p : inputs.get(i % inputs.size())) {
                sink += a.onEpoch(p).alertChanges().size();
            }
        }
        long[] perEpoch = new long[runs * 1000];
        int k = 0;
        long start = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            RunAnalyzer a = new RunAnalyzer(AnalysisSettings.defaults());
            for (EpochPoint p : inputs.get(i % inputs.size())) {
                long t0 = System.nanoTime();
                AnalysisResult r = a.onEpoch(p);
                perEpoch[k++] = System.nanoTime() - t0;
                sink += r.alertChanges().size();
            }
        }
        long total = System.nanoTime() - start;
        Arrays.sort(perEpoch);
        double mean = Arrays.stream(perEpoch).average().orElse(0) / 1000.0;
        System.out.printf(Locale.ROOT, "runs=%d epochs=%d  mean=%.2f µs/epoch  p50=%.2f µs  p99=%.2f µs  max=%.1f µs"
                + "  throughput=%.0f epochs/s (one thread)  [sink %d]%n", runs, k, mean, perEpoch[k / 2] / 1000.0,
                perEpoch[(int) (k * 0.99)] / 1000.0, perEpoch[k - 1] / 1000.0, k / (total / 1e9), sink);
    }
}
