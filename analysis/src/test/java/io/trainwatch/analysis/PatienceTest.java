package io.trainwatch.analysis;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The patience rule of trainer-host's {@code monitor.stop_early}, and that it is the engine's {@code early_stopping.ready}. */
class PatienceTest {

    /** Feeds val losses (train loss 1.0 throughout); returns the epoch after which the rule stops, or -1. */
    private static int stopEpoch(Patience rule, double... valLosses) {
        for (int e = 0; e < valLosses.length; e++) {
            if (rule.onEpoch(e, valLosses[e], "val_loss").isPresent()) {
                return e;
            }
        }
        return -1;
    }

    @Test
    void stopsAfterPatienceEpochsWithoutImprovementAndSaysWhy() {
        Patience rule = new Patience(3, 0.0001);
        double[] val = {0.9, 0.7, 0.5, 0.4123, 0.45, 0.43, 0.42, 0.41, 0.40};
        Optional<String> reason = Optional.empty();
        int e = 0;
        for (; e < val.length && reason.isEmpty(); e++) {
            reason = rule.onEpoch(e, val[e], "val_loss");
        }
        assertEquals(7, e, "epochs 4, 5, 6 did not beat 0.4123: stop after epoch 6");
        assertEquals("val_loss has not improved by more than min_delta 0.0001 (relative to the best: 0.01 %) for 3 epochs "
                + "(patience 3); best 0.4123 at epoch 3", reason.orElseThrow());
        assertEquals(3, rule.bestEpoch());
        assertEquals(0.4123, rule.best());
    }

    @Test
    void anImprovementMustExceedMinDeltaRelativeToTheBest() {
        // best 1.0, min_delta 1 %: 0.995 is no improvement, 0.989 is
        assertEquals(2, stopEpoch(new Patience(2, 0.01), 1.0, 0.995, 0.9905, 0.5));
        assertEquals(-1, stopEpoch(new Patience(2, 0.01), 1.0, 0.995, 0.989, 0.985));
        // the same relative step on a loss 1000 times smaller counts the same
        assertEquals(2, stopEpoch(new Patience(2, 0.01), 0.001, 0.000995, 0.0009905, 0.0005));
        // min_delta 0: any strict decrease improves, an equal value does not
        assertEquals(-1, stopEpoch(new Patience(2, 0), 1.0, 0.99999, 0.99998));
        assertEquals(2, stopEpoch(new Patience(2, 0), 1.0, 1.0, 1.0));
    }

    @Test
    void missingOrNonFiniteLossesNeverImprove() {
        assertEquals(2, stopEpoch(new Patience(2, 0), 1.0, Double.NaN, Double.NEGATIVE_INFINITY));
        Patience rule = new Patience(2, 0);
        assertTrue(rule.onEpoch(0, null, "val_loss").isEmpty());
        assertTrue(rule.onEpoch(1, null, "val_loss").isEmpty());
        assertTrue(rule.onEpoch(2, null, "val_loss").isEmpty(), "no best yet: nothing to be patient about");
        assertTrue(rule.onEpoch(3, 0.8, "val_loss").isEmpty());
        assertTrue(rule.onEpoch(4, null, "val_loss").isEmpty());
        assertTrue(rule.onEpoch(5, null, "val_loss").isPresent());
    }

    @Test
    void theReasonNamesTheWatchedLoss() {
        // trainer-host watches train_loss when the run has no validation set.
        Patience rule = new Patience(2, 0.0001);
        assertTrue(rule.onEpoch(0, 0.5, "train_loss").isEmpty());
        assertTrue(rule.onEpoch(1, 0.6, "train_loss").isEmpty());
        String reason = rule.onEpoch(2, 0.55, "train_loss").orElseThrow();
        assertTrue(reason.startsWith("train_loss has not improved"), reason);
        assertTrue(reason.endsWith("best 0.5 at epoch 0"), reason);
    }

    @Test
    void badSettingsAreRefusedNamingTheField() {
        assertEquals("patience: must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> new Patience(0, 0)).getMessage());
        assertEquals("min_delta: must be a finite number >= 0, was -0.1",
                assertThrows(IllegalArgumentException.class, () -> new Patience(1, -0.1)).getMessage());
    }

    /**
     * The host stops a run after exactly the epoch at which the analysis engine's verdict first says
     * {@code early_stopping.ready}, for the same patience and min_delta: an agent and the host agree.
     */
    @Test
    void stopsWhereTheAnalysisEngineSaysEarlyStoppingIsReady() {
        Random random = new Random(11);
        for (int curve = 0; curve < 200; curve++) {
            int patience = 1 + random.nextInt(8);
            double minDelta = random.nextBoolean() ? 0 : Math.pow(10, -1 - random.nextInt(4));
            Patience rule = new Patience(patience, minDelta);
            RunAnalyzer analyzer = new RunAnalyzer(AnalysisSettings.defaults().withOverrides(patience, minDelta, Map.of()));
            double val = 1 + random.nextDouble();
            int ruleStop = -1;
            int engineReady = -1;
            for (int e = 0; e < 80 && (ruleStop < 0 || engineReady < 0); e++) {
                // falling with noise, then drifting: improvements of every size, some below min_delta
                val *= e < 20 ? 1 - 0.05 * random.nextDouble() : 1 + 0.01 * (random.nextDouble() - 0.6);
                double train = val * 0.9;
                if (ruleStop < 0 && rule.onEpoch(e, val, "val_loss").isPresent()) {
                    ruleStop = e;
                }
                boolean ready = analyzer.onEpoch(EpochPoint.ofLosses(e, train, val)).verdict().earlyStopping().ready();
                if (engineReady < 0 && ready) {
                    engineReady = e;
                }
            }
            assertEquals(engineReady, ruleStop, "curve " + curve + ", patience " + patience + ", min_delta " + minDelta);
        }
    }

    @Test
    void numbersInTheReasonHaveFourSignificantDigits() {
        assertEquals("0.4123", Patience.number(0.41234567));
        assertEquals("0.0001", Patience.number(0.0001));
        assertEquals("12.35", Patience.number(12.3456));
        assertEquals("0", Patience.number(0));
    }
}
