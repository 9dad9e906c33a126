package io.trainwatch.analysis;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RunAnalyzer#observe} skips the verdict but nothing else: fed epoch by epoch with {@code observe} for all but
 * the last of each batch, an analyzer opens and resolves the same alerts at the same epochs and gives the same verdict
 * at each batch's end as one fed every epoch with {@code onEpoch} — on every real curve and on synthetic runs that make
 * every rule speak (divergence, gradients, validation, unbounded loss, throughput).
 */
class ObserveEquivalenceTest {

    @Test
    void batchesFedThroughObserveGiveTheSameVerdictsAndAlertsAsEveryEpochThroughOnEpoch() throws IOException {
        List<List<EpochPoint>> runs = new ArrayList<>();
        RealCurvesHarness.load().forEach(r -> runs.add(r.epochs()));
        runs.add(Curves.healthy(120));
        runs.add(diverging());
        runs.add(gradients());
        runs.add(Curves.of(60, e -> EpochPoint.ofLosses(e, -Math.pow(1.3, e), 1.0)));
        runs.add(Curves.of(60, e -> new EpochPoint(e, 1.0 / (e + 1), 0.7, 0.9, 0.0, 0.01, 1000L + e % 7 * 300,
                e > 30 ? 50.0 : 500.0, null, null, null, null, null, 60)));
        int verdicts = 0;
        int alerts = 0;
        for (List<EpochPoint> run : runs) {
            for (int batch : new int[] {1, 3, 7, 50}) {
                RunAnalyzer every = new RunAnalyzer(AnalysisSettings.defaults());
                RunAnalyzer batched = new RunAnalyzer(AnalysisSettings.defaults());
                for (int start = 0; start < run.size(); start += batch) {
                    int end = Math.min(run.size(), start + batch);
                    for (int i = start; i < end; i++) {
                        AnalysisResult expected = every.onEpoch(run.get(i));
                        boolean last = i == end - 1;
                        AnalysisResult got = last ? batched.onEpoch(run.get(i)) : null;
                        List<AlertChange> changes = last ? got.alertChanges() : batched.observe(run.get(i));
                        assertEquals(expected.alertChanges(), changes, "alert changes at epoch " + run.get(i).epoch());
                        alerts += changes.size();
                        if (last) {
                            assertEquals(expected.verdict(), got.verdict(), "verdict after epoch "
                                    + run.get(i).epoch() + ", batches of " + batch);
                        }
                    }
                    verdicts++;
                }
            }
        }
        assertTrue(alerts > 100, "the runs opened and resolved alerts: " + alerts);
        assertTrue(verdicts > 1000, "verdicts compared: " + verdicts);
    }

    private static List<EpochPoint> diverging() {
        return Curves.of(80, e -> EpochPoint.ofLosses(e, e < 30 ? 1.0 / (e + 1) : e == 40 ? Double.NaN
                : 0.03 * Math.pow(1.15, e - 30), e < 30 ? 1.2 / (e + 1) : 0.04 * Math.pow(1.2, e - 30)));
    }

    private static List<EpochPoint> gradients() {
        return Curves.of(60, e -> EpochPoint.ofLosses(e, 1.0 / (e + 1), 1.1 / (e + 1) + (e > 40 ? 0.01 * (e - 40) : 0))
                .withGradients(e < 20 ? 1.0 : e < 40 ? 500.0 : 1e-9, e < 20 ? 2.0 : 900.0,
                        Map.of("a", e < 20 ? 1.0 : 0.0, "b", e < 30 ? 1.0 : 1e4), e % 3, null));
    }
}
