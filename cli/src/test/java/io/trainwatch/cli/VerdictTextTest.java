package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.EventCodec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictTextTest {

    /** An overfitting verdict with every section docs/analysis.md describes. */
    static final String OVERFITTING = """
            {"run_id": "r1", "epoch": 41, "status": "running",
             "best_epoch": 30, "best_val_loss": 0.6789, "epochs_since_improvement": 11,
             "early_stopping": {"patience": 10, "min_delta": 0.0001, "ready": true},
             "trend": {"train_loss": {"state": "improving", "slope": -0.004}, "val_loss": {"state": "worsening", "slope": 0.003}},
             "overfitting": {"detected": true, "onset_epoch": 31, "severity": "moderate", "gap": 0.29, "gap_rel": 0.62, "confidence": 0.8},
             "plateau": {"detected": false}, "divergence": {"detected": false},
             "stability": {"cv": 0.03, "oscillation": 0.1}, "gradients": {"exploding": false, "vanishing": false, "dead_layers": []},
             "forecast": {"final_val_loss": 0.74, "low": 0.70, "high": 0.79},
             "after_best": {"epochs": 11, "compute_seconds": 95.0},
             "recommendation": {"action": "stop", "confidence": 0.85,
               "reason": "Validation loss has risen for 11 epochs while training loss fell; best was epoch 30 (0.6789).",
               "evidence": [{"rule": "overfitting.gap_trend", "params": {"window": 10}, "values": {"gap_slope": 0.004}}]},
             "alerts": [{"id": "a1", "kind": "overfitting", "severity": "warning", "opened_epoch": 36, "resolved_epoch": null, "message": "val loss rising"},
                        {"id": "a0", "kind": "plateau", "severity": "info", "opened_epoch": 20, "resolved_epoch": 25, "message": "flat"}],
             "not_assessed": ["gradients: no gradient norms measured"]}
            """;

    static JsonNode json(String s) throws Exception {
        return EventCodec.newMapper().readTree(s);
    }

    @Test
    void theVerdictReadsAsSentencesActionFirst() throws Exception {
        List<String> lines = VerdictText.lines(json(OVERFITTING), Style.PLAIN);
        assertEquals("Run r1 (running), analysed up to epoch 41", lines.get(0));
        assertEquals("Recommendation: STOP (confidence 85.0%)", lines.get(1));
        assertEquals("  Validation loss has risen for 11 epochs while training loss fell; best was epoch 30 (0.6789).", lines.get(2));
        assertEquals("Best epoch: 30 (val_loss 0.6789), 11 epochs since improvement; early stopping ready (patience 10)", lines.get(3));
        assertTrue(lines.contains("  val_loss        worsening  slope +0.0030/epoch"), lines.toString());
        assertTrue(lines.contains("  train_loss      improving  slope -0.0040/epoch"), lines.toString());
        assertTrue(lines.contains("Overfitting: detected since epoch 31, moderate (train/val gap 0.2900, 62.0% of val loss), confidence 80.0%"),
                lines.toString());
        assertTrue(lines.contains("Plateau: not detected"));
        assertTrue(lines.contains("Divergence: not detected"));
        assertTrue(lines.contains("Forecast: final val_loss 0.7400 (0.7000 to 0.7900)"));
        assertTrue(lines.contains("Spent after the best epoch: 11 epochs (1:35)"));
        assertTrue(lines.contains("  - overfitting.gap_trend  params window=10  values gap_slope=0.0040"), lines.toString());
        assertTrue(lines.contains("  [WARNING] overfitting (epoch 36): val loss rising"), "open alerts are listed");
        assertFalse(String.join("\n", lines).contains("flat"), "resolved alerts are not");
        assertEquals("Not assessed: gradients: no gradient norms measured", lines.get(lines.size() - 1));
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("Gradients:")), "healthy gradients say nothing");
    }

    @Test
    void divergencePlateauAndGradientsAreNamed() throws Exception {
        JsonNode v = json("""
                {"run_id": "r2", "epoch": 5, "status": "failed",
                 "plateau": {"detected": true, "since_epoch": 2, "relative_improvement": 0.001, "window": 10, "converged": false},
                 "divergence": {"detected": true, "kind": "sustained_rise", "epoch": 5, "recovered": false, "series": "train_loss"},
                 "gradients": {"norm": 1200.0, "exploding": true, "vanishing": false, "dead_layers": ["fc2"], "suggested_clip": 2.5},
                 "recommendation": {"action": "investigate", "confidence": 0.9, "reason": "Loss rose for 5 epochs.", "evidence": []}}
                """);
        List<String> lines = VerdictText.lines(v, Style.PLAIN);
        assertTrue(lines.contains("Divergence: detected: sustained rise of train_loss at epoch 5"), lines.toString());
        assertTrue(lines.contains("Plateau: detected since epoch 2, best improved 0.1% over the last 10 epochs"), lines.toString());
        assertTrue(lines.contains("Gradients: exploding (norm 1200.0000), dead layers fc2; suggested clip 2.5000"), lines.toString());
        assertTrue(lines.contains("Recommendation: INVESTIGATE (confidence 90.0%)"));
    }

    @Test
    void anEmptyHistorySaysSo() throws Exception {
        JsonNode v = json("""
                {"run_id": "r3", "status": "queued", "epoch": null, "overfitting": {"detected": false},
                 "plateau": {"detected": false}, "divergence": {"detected": false},
                 "recommendation": {"action": "continue", "confidence": 0.0, "reason": "No epochs yet.", "evidence": []}}
                """);
        List<String> lines = VerdictText.lines(v, Style.PLAIN);
        assertEquals("Run r3 (queued): no epochs analysed yet", lines.get(0));
        assertEquals("Recommendation: CONTINUE (confidence 0.0%)", lines.get(1));
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("Best epoch")));
    }

    @Test
    void colourOnlyWhenAsked() throws Exception {
        String plain = String.join("\n", VerdictText.lines(json(OVERFITTING), Style.PLAIN));
        String coloured = String.join("\n", VerdictText.lines(json(OVERFITTING), new Style(true)));
        assertFalse(plain.contains("\u001b["));
        assertTrue(coloured.contains("\u001b[31;1mSTOP\u001b[0m"), "stop is red");
        assertTrue(coloured.contains("\u001b[33m  [WARNING] overfitting") || coloured.contains("\u001b[33m[WARNING]"), coloured);
    }
}
