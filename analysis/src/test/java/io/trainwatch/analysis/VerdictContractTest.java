package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The verdict as the metrics API serialises it (Jackson, SNAKE_CASE): the contract names of docs/analysis.md, no NaN, no surprises. */
class VerdictContractTest {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    /** A run with every measurement, a NaN epoch and gaps, to exercise every section. */
    static List<EpochPoint> everything() {
        List<EpochPoint> list = new ArrayList<>();
        long step = 0;
        for (int e = 0; e < 60; e += (e == 20 ? 3 : 1)) {
            step += 100;
            double train = e == 41 ? Double.NaN : 2.0 * Math.exp(-e / 12.0) + 0.1 + 0.01 * Curves.noise(e);
            double val = e <= 30 ? 0.5 + 1.6 * Math.exp(-e / 10.0) + 0.005 * Curves.noise(e + 1000)
                    : 0.5 + 1.6 * Math.exp(-3.0) + 0.004 * (e - 30);
            list.add(new EpochPoint(e, train, val, 0.5 + e / 200.0, 0.45 + e / 250.0, e < 30 ? 1e-3 : 1e-4,
                    1000L + e, 5000.0 - e, 1.0 + 0.1 * Curves.noise(e), 3.0, Map.of("conv1", 0.5, "fc", 0.0,
                            "head", 2.0), 10, step, 80));
        }
        return list;
    }

    @Test
    void serialisedNamesAreTheContract() throws Exception {
        Verdict v = Curves.replay(everything()).verdict();
        JsonNode json = MAPPER.valueToTree(v);
        for (String name : List.of("epoch", "best_epoch", "best_val_loss", "epochs_since_improvement",
                "early_stopping", "trend", "overfitting", "plateau", "divergence", "stability", "gradients",
                "learning_rate", "throughput", "forecast", "after_best", "scores", "recommendation", "alerts",
                "not_assessed")) {
            assertTrue(json.has(name), "verdict has " + name + ": " + json);
        }
        assertFields(json.get("early_stopping"), "patience", "min_delta", "ready");
        assertFields(json.get("trend"), "train_loss", "val_loss", "train_accuracy", "val_accuracy");
        assertFields(json.get("trend").get("val_loss"), "state", "slope");
        assertFields(json.get("overfitting"), "detected", "onset_epoch", "severity", "gap", "gap_rel", "gap_slope",
                "correlation", "confidence");
        assertFields(json.get("plateau"), "detected", "since_epoch", "relative_improvement", "window",
                "lr_changed_recently");
        assertFields(json.get("divergence"), "detected", "kind", "epoch", "recovered");
        assertFields(json.get("stability"), "cv", "oscillation", "volatile_periods");
        assertFields(json.get("gradients"), "exploding", "vanishing", "dead_layers", "imbalance",
                "imbalance_ratio", "clip_frequency", "suggested_clip");
        assertFields(json.get("throughput"), "samples_per_second", "trend", "eta_seconds");
        assertFields(json.get("forecast"), "final_val_loss", "low", "high", "expected_gain");
        assertFields(json.get("after_best"), "epochs", "compute_seconds");
        assertFields(json.get("scores"), "overfitting", "convergence", "stability", "generalisation");
        assertFields(json.get("recommendation"), "action", "confidence", "reason", "evidence");
        JsonNode evidence = json.get("recommendation").get("evidence").get(0);
        assertFields(evidence, "rule", "params", "values");
        JsonNode alert = json.get("alerts").get(0);
        assertFields(alert, "id", "kind", "severity", "opened_epoch", "resolved_epoch", "message");
        assertEquals(List.of("fc"), List.of(json.get("gradients").get("dead_layers").get(0).asText()));
        assertFalse(json.get("alerts").get(0).has("still_open"), "helper methods are not properties");
    }

    @Test
    void noNumberIsNaNOrInfiniteAtAnyEpoch() throws Exception {
        for (AnalysisResult r : Curves.feed(everything())) {
            String text = MAPPER.writeValueAsString(r);
            // As JSON tokens (messages may say "became NaN" in words).
            assertFalse(java.util.regex.Pattern.compile("[:\\[,]-?(NaN|Infinity)").matcher(text).find(), text);
            Verdict.Scores s = r.verdict().scores();
            for (Double score : new Double[] {s.overfitting(), s.convergence(), s.stability(), s.generalisation()}) {
                assertTrue(score == null || score >= 0 && score <= 1, "score in [0,1]: " + score);
            }
            double c = r.verdict().recommendation().confidence();
            assertTrue(c >= 0 && c <= 1, "confidence in [0,1]: " + c);
            assertTrue(Set.of("continue", "stop", "reduce_lr", "investigate")
                    .contains(r.verdict().recommendation().action()));
        }
    }

    @Test
    void replayOfPrefixEqualsIncrementalResultAtEveryEpoch() {
        List<EpochPoint> all = everything();
        List<AnalysisResult> incremental = Curves.feed(all);
        for (int n = 1; n <= all.size(); n++) {
            AnalysisResult replayed = RunAnalyzer.replay(AnalysisSettings.defaults(), all.subList(0, n));
            assertEquals(incremental.get(n - 1), replayed, "epoch index " + (n - 1));
        }
    }

    @Test
    void replaySortsAndTheLastDuplicateWins() {
        List<EpochPoint> shuffled = new ArrayList<>(Curves.healthy(20));
        java.util.Collections.reverse(shuffled);
        shuffled.add(EpochPoint.ofLosses(19, 0.5, 0.123456));
        Verdict v = Curves.replay(shuffled).verdict();
        assertEquals(19, v.epoch());
        assertEquals(19, v.bestEpoch());
        assertEquals(0.123456, v.bestValLoss());
    }

    @Test
    void anEpochNotAfterTheLastIsRejectedSoTheCallerReplays() {
        RunAnalyzer a = new RunAnalyzer(AnalysisSettings.defaults());
        a.onEpoch(EpochPoint.ofLosses(3, 1.0, 1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.onEpoch(EpochPoint.ofLosses(3, 1.0, 1.0)));
        assertTrue(e.getMessage().startsWith("epoch:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.onEpoch(EpochPoint.ofLosses(2, 1.0, 1.0)));
        assertNotNull(a.onEpoch(EpochPoint.ofLosses(7, 0.9, 0.9)).verdict(), "gaps are allowed");
    }

    @Test
    void emptyHistoryGivesAVerdictThatSaysSo() {
        AnalysisResult r = RunAnalyzer.replay(AnalysisSettings.defaults(), List.of());
        assertEquals(null, r.verdict().epoch());
        assertEquals("continue", r.verdict().recommendation().action());
        assertFalse(r.verdict().notAssessed().isEmpty());
        assertTrue(r.alertChanges().isEmpty());
    }

    @Test
    void everySectionIsAnObjectEvenWhenNothingWasMeasuredForIt() throws Exception {
        for (Verdict v : List.of(Curves.replay(List.of()).verdict(),
                Curves.replay(List.of(EpochPoint.ofLosses(0, 1.0, null))).verdict())) {
            JsonNode json = MAPPER.valueToTree(v);
            for (String section : List.of("early_stopping", "trend", "overfitting", "plateau", "divergence",
                    "stability", "gradients", "learning_rate", "throughput", "forecast", "after_best", "scores",
                    "recommendation")) {
                assertTrue(json.get(section).isObject(), section + " is an object: " + json);
            }
            assertTrue(json.get("gradients").get("dead_layers").isArray());
        }
    }

    @Test
    void aSingleEpochIsAPartialVerdictNotAnError() {
        Verdict v = Curves.replay(List.of(EpochPoint.ofLosses(0, 2.0, 2.1))).verdict();
        assertEquals(0, v.epoch());
        assertEquals(0, v.bestEpoch());
        assertEquals("continue", v.recommendation().action());
        assertTrue(v.notAssessed().stream().anyMatch(s -> s.startsWith("trend.val_loss")), v.notAssessed().toString());
        assertTrue(v.notAssessed().stream().anyMatch(s -> s.startsWith("gradients")), v.notAssessed().toString());
    }

    private static void assertFields(JsonNode node, String... names) {
        assertNotNull(node, "section present");
        for (String n : names) {
            assertTrue(node.has(n), "has " + n + ": " + node);
        }
    }
}
