package io.trainwatch.analysis;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Out-of-sample check beside the real curves: 720 synthetic still-improving runs and 720 synthetic overfitting runs
 * (lengths 30/60/120, i.i.d. uniform noise of 1-10 % on validation, slow to fast decay, 20 seeds), replayed epoch
 * by epoch. Prints how many still-improving runs were told to stop and, for overfitting runs, how many were
 * detected and stopped, the mean delay after the true best and the mean regret. A main, not a test: it documents
 * behaviour away from the corpus the thresholds were tuned on.
 *
 * <p>Run: {@code ./mvnw -B -o -q -pl analysis test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.mainClass=io.trainwatch.analysis.SyntheticSweep -Dexec.classpathScope=test}
 */
public final class SyntheticSweep {

    private SyntheticSweep() {
    }

    public static void main(String[] args) {
        int[] lengths = {30, 60, 120};
        double[] noises = {0.01, 0.03, 0.06, 0.1};
        double[] speeds = {10, 30, 80};
        Map<String, Integer> falseStopsByRule = new TreeMap<>();
        int improving = 0;
        int improvingStopped = 0;
        int patienceStopped = 0;
        int patienceOverfitStopped = 0;
        double patienceDelay = 0;
        int overfit = 0;
        int detected = 0;
        int stopped = 0;
        double delay = 0;
        double regret = 0;
        for (int seed = 0; seed < 20; seed++) {
            for (int length : lengths) {
                for (double noise : noises) {
                    for (double speed : speeds) {
                        double tau = speed * length / 40.0;
                        // Still improving: exponential decay whose true value still falls > 2 % over the last 10.
                        RunAnalyzer a = new RunAnalyzer(AnalysisSettings.defaults());
                        boolean stop = false;
                        double pBest = Double.POSITIVE_INFINITY;
                        int pBestEpoch = 0;
                        boolean pStop = false;
                        for (int e = 0; e < length; e++) {
                            double base = 0.1 + 2 * Math.exp(-e / tau);
                            EpochPoint p = EpochPoint.ofLosses(e, base * (1 + 0.3 * noise * Curves.noise(e + seed
                                    * 1000)), (base + 0.1) * (1 + noise * Curves.noise(e + 7 + seed * 1000)));
                            Verdict.Recommendation rec = a.onEpoch(p).verdict().recommendation();
                            if (!stop && Verdict.STOP.equals(rec.action())) {
                                falseStopsByRule.merge(RealCurvesHarness.STOP_RULES[RealCurvesHarness.stopRule(
                                        rec.reason())], 1, Integer::sum);
                            }
                            stop |= Verdict.STOP.equals(rec.action());
                            if (p.valLoss() < pBest) {
                                pBest = p.valLoss();
                                pBestEpoch = e;
                            }
                            pStop |= e - pBestEpoch >= 10;
                        }
                        double end = 0.2 + 2 * Math.exp(-(length - 1) / tau);
                        double before = 0.2 + 2 * Math.exp(-(length - 11) / tau);
                        if ((before - end) / end > 0.02) {
                            improving++;
                            improvingStopped += stop ? 1 : 0;
                            patienceStopped += pStop ? 1 : 0;
                        }
                        // Overfitting: validation bottoms at half the run, then rises linearly.
                        int best = length / 2;
                        a = new RunAnalyzer(AnalysisSettings.defaults());
                        Integer stopAt = null;
                        boolean seen = false;
                        double[] vals = new double[length];
                        double oBest = Double.POSITIVE_INFINITY;
                        int oBestEpoch = 0;
                        Integer pStopAt = null;
                        for (int e = 0; e < length; e++) {
                            double train = 0.1 + 2 * Math.exp(-e / (length / 6.0));
                            double v = e <= best ? 0.4 + 2 * Math.exp(-e / (length / 8.0))
                                    : 0.4 + 2 * Math.exp(-best / (length / 8.0))
                                            + 0.004 * (e - best) * (40.0 / length) * (1 + speed / 30);
                            v *= 1 + noise * Curves.noise(e + 13 + seed * 1000);
                            vals[e] = v;
                            if (v < oBest) {
                                oBest = v;
                                oBestEpoch = e;
                            }
                            if (pStopAt == null && e - oBestEpoch >= 10) {
                                pStopAt = e;
                            }
                            Verdict verdict = a.onEpoch(EpochPoint.ofLosses(e, train * (1 + 0.3 * noise
                                    * Curves.noise(e + 99 + seed * 1000)), v)).verdict();
                            seen |= verdict.overfitting().detected();
                            if (stopAt == null && Verdict.STOP.equals(verdict.recommendation().action())) {
                                stopAt = e;
                            }
                        }
                        overfit++;
                        if (pStopAt != null) {
                            patienceOverfitStopped++;
                            patienceDelay += pStopAt - best;
                        }
                        detected += seen ? 1 : 0;
                        if (stopAt != null) {
                            stopped++;
                            delay += stopAt - best;
                            double all = Arrays.stream(vals).min().orElseThrow();
                            double upTo = Arrays.stream(vals, 0, stopAt + 1).min().orElseThrow();
                            regret += (upTo - all) / all;
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "still-improving runs: %d, told to stop: %d (%.1f %%); patience-10 stops %d"
                + " (%.1f %%)%n", improving, improvingStopped, 100.0 * improvingStopped / improving, patienceStopped,
                100.0 * patienceStopped / improving);
        System.out.println("  still-improving runs told to stop, by the rule of the first stop: "
                + falseStopsByRule);
        System.out.printf(Locale.ROOT, "overfitting runs: %d, detected: %d, stopped: %d, mean stop %.1f epochs after"
                + " the true best, mean regret %.4f%n", overfit, detected, stopped, delay / Math.max(1, stopped),
                regret / Math.max(1, stopped));
        System.out.printf(Locale.ROOT, "patience-10 on the overfitting runs: stopped %d, mean stop %.1f epochs after the"
                + " true best%n", patienceOverfitStopped, patienceDelay / Math.max(1, patienceOverfitStopped));
    }
}
