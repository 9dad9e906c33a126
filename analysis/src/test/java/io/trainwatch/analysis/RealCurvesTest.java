package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The engine against the 54 real training curves (see {@link RealCurvesHarness}, which prints the whole table); fails
 * on a regression. The targets of docs/analysis.md that are met are asserted as they are stated; the two that are
 * not (mean regret within 0.5 points of patience-20's; 90 % of pathologies recognised) are held at today's figure
 * with a small margin, so they cannot get worse unnoticed, and docs/analysis.md says why they are missed.
 */
class RealCurvesTest {

    @Test
    void stopAdviceForecastCalibrationAndAlertsHoldOnTheRealCurves() throws Exception {
        RealCurvesHarness.Summary s = RealCurvesHarness.run(AnalysisSettings.defaults());
        System.out.println(RealCurvesHarness.table(s));

        assertEquals(54, s.runs().size(), "runs in the corpus");
        // Targets met.
        assertEquals(java.util.List.of(), s.dominatedBy(), "classic rules dominating the engine");
        double p10Saved = s.classic("patience-10").saved();
        assertTrue(s.engine().saved() >= p10Saved,
                "mean epochs saved " + s.engine().saved() + " must be at least patience-10's " + p10Saved);
        assertEquals(0, s.stillImprovingStopped(), "still-improving runs told to stop");
        assertTrue(s.reopenedWithinHysteresis() == 0, "alerts reopened within the hysteresis window");
        for (double at : RealCurvesHarness.FORECAST_POINTS) {
            var f = s.forecasts(at);
            double coverage = (double) f.stream().filter(RealCurvesHarness.ForecastCheck::covered).count() / f.size();
            assertTrue(coverage >= 0.7 && coverage <= 0.9,
                    "80 % forecast interval coverage at " + at + " of the run: " + coverage);
        }
        assertTrue(s.forecastCoverage() >= 0.75 && s.forecastCoverage() <= 0.85,
                "80 % forecast interval coverage over all points: " + s.forecastCoverage());
        assertTrue(s.brier() <= 0.17, "Brier score of the first stop's confidence: " + s.brier());

        // Targets not met (docs/analysis.md): held where they are.
        double p20Regret = s.classic("patience-20").regret();
        assertTrue(s.engine().regret() <= 0.015,
                "mean normalised regret " + s.engine().regret() + " (target: within 0.005 of patience-20's "
                        + p20Regret + ")");
        assertTrue(s.recognisedShare() >= 0.83,
                "pathologies recognised " + s.recognised() + "/" + s.pathologies() + " (target 90 %)");
    }
}
