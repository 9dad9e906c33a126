package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The engine against 27 real training curves (see {@link RealCurvesHarness}); fails on a regression of any target:
 * Pareto-better than patience-10, no stop advice on a still-improving run, at least 80 % of the labelled
 * pathologies recognised.
 */
class RealCurvesTest {

    @Test
    void engineBeatsPatience10AndRecognisesThePathologies() throws Exception {
        RealCurvesHarness.Summary s = RealCurvesHarness.run(AnalysisSettings.defaults());
        System.out.println(RealCurvesHarness.table(s));

        assertEquals(27, s.runs().size(), "runs in the corpus");
        double p10Regret = s.patienceRegret()[1];
        double p10Saved = s.patienceSaved()[1];
        assertTrue(s.engineRegret() <= p10Regret + 1e-9,
                "total regret " + s.engineRegret() + " must not exceed patience-10's " + p10Regret);
        assertTrue(s.engineSaved() > p10Saved,
                "epochs saved " + s.engineSaved() + " must exceed patience-10's " + p10Saved);
        assertEquals(0, s.stillImprovingStopped(), "still-improving runs told to stop");
        assertTrue(s.recognisedShare() >= 0.8,
                "pathologies recognised " + s.recognised() + "/" + s.pathologies() + " must be >= 80 %");
    }
}
