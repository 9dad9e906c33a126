package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The case the engine exists for: validation loss bottoms at epoch 30 and rises to 50 while training loss falls. */
class OverfittingKeyCaseTest {

    static List<EpochPoint> keyCase() {
        List<EpochPoint> epochs = new ArrayList<>();
        for (int e = 0; e <= 50; e++) {
            double train = 2.0 * Math.exp(-e / 15.0) + 0.05;
            double val = e <= 30 ? 0.4 + 1.6 * Math.exp(-e / 8.0) + 0.004 * (30 - e) / 30.0
                    : 0.4 + 1.6 * Math.exp(-30 / 8.0) + 0.006 * (e - 30);
            epochs.add(EpochPoint.ofLosses(e, train, val));
        }
        return epochs;
    }

    @Test
    void overfittingAfterEpoch30IsDetectedAndStopNamesEpoch30() {
        AnalysisResult result = RunAnalyzer.replay(AnalysisSettings.defaults(), keyCase());
        Verdict v = result.verdict();
        assertEquals(50, v.epoch());
        assertEquals(30, v.bestEpoch());
        assertTrue(v.overfitting().detected(), "overfitting detected");
        assertEquals(31, v.overfitting().onsetEpoch());
        assertEquals(Verdict.STOP, v.recommendation().action());
        assertTrue(v.recommendation().reason().contains("epoch 30"), v.recommendation().reason());
        assertTrue(v.recommendation().evidence().stream().anyMatch(ev -> ev.rule().startsWith("overfitting")));
        assertEquals("worsening", v.trend().get("val_loss").state());
        assertEquals("improving", v.trend().get("train_loss").state());
    }
}
