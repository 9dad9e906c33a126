package io.trainwatch.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Synthetic curves for the rule tests: deterministic, with optional reproducible noise. */
final class Curves {

    private Curves() {
    }

    static List<EpochPoint> of(int epochs, IntFunction<EpochPoint> at) {
        List<EpochPoint> list = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            list.add(at.apply(e));
        }
        return list;
    }

    /** A healthy run: both losses decay exponentially towards a floor, val a little above train. */
    static List<EpochPoint> healthy(int epochs) {
        return of(epochs, e -> EpochPoint.ofLosses(e, 0.2 + 2.0 * Math.exp(-e / 20.0),
                0.3 + 2.0 * Math.exp(-e / 20.0)));
    }

    /** Deterministic noise in [-1, 1]: a hash of the epoch, so tests never depend on a random generator. */
    static double noise(int e) {
        long h = e * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return ((h >>> 11) / (double) (1L << 53)) * 2 - 1;
    }

    static AnalysisResult replay(List<EpochPoint> epochs) {
        return RunAnalyzer.replay(AnalysisSettings.defaults(), epochs);
    }

    /** Feeds the epochs one by one and returns every result. */
    static List<AnalysisResult> feed(List<EpochPoint> epochs) {
        RunAnalyzer a = new RunAnalyzer(AnalysisSettings.defaults());
        List<AnalysisResult> results = new ArrayList<>();
        for (EpochPoint p : epochs) {
            results.add(a.onEpoch(p));
        }
        return results;
    }
}
