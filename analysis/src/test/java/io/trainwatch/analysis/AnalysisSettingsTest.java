package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AnalysisSettingsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        AnalysisSettings s = AnalysisSettings.defaults();
        assertEquals(10, s.patience());
        assertEquals(1e-4, s.minDelta());
        assertEquals(100, s.threshold("gradients.exploding"));
        assertEquals(1e-7, s.threshold("gradients.vanishing"));
        assertEquals(1000, s.threshold("gradients.imbalance"));
        assertEquals(2, s.threshold("divergence.spike_ratio"));
        assertEquals(AnalysisSettings.definitionsByName().keySet(), s.thresholds().keySet());
    }

    @Test
    void overridesReplaceOnlyWhatTheyName() {
        AnalysisSettings s = AnalysisSettings.defaults().withOverrides(5, null, Map.of("gradients.exploding", 10.0));
        assertEquals(5, s.patience());
        assertEquals(1e-4, s.minDelta());
        assertEquals(10, s.threshold("gradients.exploding"));
        assertEquals(1000, s.threshold("gradients.imbalance"));
    }

    @Test
    void unknownRuleNameIsRejectedWithTheValidNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AnalysisSettings.defaults().withOverrides(null, null, Map.of("gradients.explode", 1.0)));
        assertTrue(e.getMessage().contains("gradients.explode"), e.getMessage());
        assertTrue(e.getMessage().contains("gradients.exploding"), e.getMessage());
        assertTrue(e.getMessage().contains("divergence.spike_ratio"), e.getMessage());
    }

    @Test
    void outOfRangeValuesNameTheField() {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> AnalysisSettings.defaults().withOverrides(0, null, null));
        assertTrue(p.getMessage().startsWith("patience:"), p.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> AnalysisSettings.defaults().withOverrides(null, -1.0, null));
        assertTrue(d.getMessage().startsWith("min_delta:"), d.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> AnalysisSettings.defaults().withOverrides(null, null, Map.of("trend.window", Double.NaN)));
        assertTrue(t.getMessage().contains("trend.window"), t.getMessage());
    }
}
