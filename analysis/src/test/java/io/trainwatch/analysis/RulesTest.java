package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each rule on synthetic curves: fires where it should, stays quiet where it should not. */
class RulesTest {

    private static boolean anyStop(List<AnalysisResult> results) {
        return results.stream().anyMatch(r -> Verdict.STOP.equals(r.verdict().recommendation().action()));
    }

    @Nested
    class Overfitting {

        @Test
        void valRisingWhileTrainFallsIsOverfittingWithOnsetAndSeverity() {
            Verdict v = Curves.replay(OverfittingKeyCaseTest.keyCase()).verdict();
            assertTrue(v.overfitting().detected());
            assertEquals(31, v.overfitting().onsetEpoch());
            assertTrue(Set.of("mild", "moderate", "severe").contains(v.overfitting().severity()));
            assertTrue(v.overfitting().gap() > 0 && v.overfitting().gapRel() > 0);
            assertTrue(v.overfitting().gapSlope() > 0, "gap widening");
            assertTrue(v.overfitting().confidence() >= 0.6);
            assertTrue(v.alerts().stream().anyMatch(a -> a.kind().equals("overfitting") && a.stillOpen()));
        }

        @Test
        void noisyButImprovingValidationIsNotToldToStop() {
            List<EpochPoint> noisy = Curves.of(80, e -> EpochPoint.ofLosses(e, 0.2 + 2.0 * Math.exp(-e / 25.0),
                    (0.3 + 2.0 * Math.exp(-e / 25.0)) * (1 + 0.06 * Curves.noise(e))));
            assertFalse(anyStop(Curves.feed(noisy)), "no stop while the level still falls");
        }

        @Test
        void healthyRunIsNeitherOverfitNorStopped() {
            List<AnalysisResult> results = Curves.feed(Curves.healthy(60));
            assertFalse(results.stream().anyMatch(r -> r.verdict().overfitting().detected()));
            assertFalse(anyStop(results));
            assertEquals("improving", results.get(59).verdict().trend().get("val_loss").state());
        }

        @Test
        void brokenValidationIsReportedAsSuchNotAsOverfitting() {
            List<EpochPoint> broken = Curves.of(20, e -> EpochPoint.ofLosses(e, 2.5 * Math.exp(-e / 5.0) + 0.05,
                    3.97 + 0.01 * Curves.noise(e)).withAccuracy(null, 0.0));
            Verdict v = Curves.replay(broken).verdict();
            assertNotNull(v.overfitting().validationIssue());
            assertTrue(v.overfitting().validationIssue().contains("exactly 0"), v.overfitting().validationIssue());
            assertFalse(v.overfitting().detected());
            assertEquals(Verdict.INVESTIGATE, v.recommendation().action());
            assertTrue(v.alerts().stream().anyMatch(a -> a.kind().equals("validation.suspect")));
        }

        @Test
        void lossesOnDifferentScalesFromTheStartHaveNoGap() {
            Verdict v = Curves.replay(Curves.of(20, e -> EpochPoint.ofLosses(e, 800.0 - 10 * e, 1.7 - 0.02 * e)))
                    .verdict();
            assertNull(v.overfitting().gap());
            assertNull(v.scores().generalisation());
            assertTrue(v.notAssessed().stream().anyMatch(s -> s.startsWith("overfitting.gap: validation and training"
                    + " loss on different scales")), v.notAssessed().toString());
            assertFalse(v.overfitting().detected());
        }

        @Test
        void withoutValidationLossOverfittingIsNotAssessed() {
            Verdict v = Curves.replay(Curves.of(15, e -> EpochPoint.ofLosses(e, 1.0 / (e + 1), null))).verdict();
            assertFalse(v.overfitting().detected());
            assertTrue(v.notAssessed().contains("overfitting: no validation loss"), v.notAssessed().toString());
            assertNull(v.bestEpoch());
            assertNull(v.forecast().finalValLoss());
            assertNull(v.afterBest().epochs());
        }
    }

    @Nested
    class Plateau {

        /** Loss falls for 20 epochs then sits flat (tiny noise) for 25. */
        private List<EpochPoint> converging(Double lr) {
            return Curves.of(45, e -> {
                double t = Math.min(e, 20);
                return EpochPoint.ofLosses(e, 0.1 + Math.exp(-t / 4.0) + 0.0005 * Curves.noise(e),
                        0.2 + Math.exp(-t / 4.0) + 0.0005 * Curves.noise(e + 99)).withLearningRate(lr);
            });
        }

        @Test
        void flatLossAfterLearningIsAConvergedPlateauAndStops() {
            Verdict v = Curves.replay(converging(null)).verdict();
            assertTrue(v.plateau().detected());
            assertTrue(v.plateau().converged());
            assertNotNull(v.plateau().sinceEpoch());
            assertTrue(v.plateau().relativeImprovement() < 0.02);
            assertEquals(Verdict.STOP, v.recommendation().action());
            assertTrue(v.recommendation().reason().contains("epoch"), v.recommendation().reason());
        }

        @Test
        void stallAtConstantLearningRateWhileTrainingStillLearnsAdvisesReducingIt() {
            List<EpochPoint> stall = Curves.of(40, e -> EpochPoint.ofLosses(e, 2.0 * Math.exp(-e / 15.0),
                    0.8 + 0.6 * Math.exp(-Math.min(e, 8) / 3.0) + 0.001 * Curves.noise(e)).withLearningRate(0.01));
            Verdict v = Curves.replay(stall).verdict();
            assertTrue(v.plateau().detected());
            assertFalse(v.plateau().converged());
            assertEquals(Verdict.REDUCE_LR, v.recommendation().action(), v.recommendation().reason());
            assertTrue(v.recommendation().reason().startsWith("Reduce the learning rate (e.g. × 0.5)"),
                    "halve it (learning_rate.plateau_factor): " + v.recommendation().reason());
        }

        @Test
        void noPlateauRightAfterALearningRateDrop() {
            List<EpochPoint> epochs = new ArrayList<>(Curves.of(40, e -> EpochPoint.ofLosses(e,
                    2.0 * Math.exp(-e / 15.0), 0.8 + 0.6 * Math.exp(-Math.min(e, 8) / 3.0) + 0.001 * Curves.noise(e))
                    .withLearningRate(e < 37 ? 0.01 : 0.001)));
            Verdict v = Curves.replay(epochs).verdict();
            assertTrue(v.plateau().lrChangedRecently());
            assertFalse(v.plateau().detected(), "the new rate has not had its chance yet");
            assertEquals(37, v.learningRate().lastChangeEpoch());
            assertEquals(0.1, v.learningRate().lastChangeRatio(), 1e-9);
        }

        @Test
        void smoothScheduleDecayIsNotTakenForAStep() {
            Verdict v = Curves.replay(Curves.of(30, e -> EpochPoint.ofLosses(e, 1.0 / (e + 1), 1.2 / (e + 1))
                    .withLearningRate(0.01 * (30 - e) / 30.0))).verdict();
            assertEquals("decaying", v.learningRate().schedule());
            assertFalse(v.plateau().lrChangedRecently());
        }

        @Test
        void steadyImprovementIsNoPlateau() {
            List<AnalysisResult> results = Curves.feed(Curves.of(60, e -> EpochPoint.ofLosses(e, 2.0 - 0.02 * e,
                    2.1 - 0.02 * e)));
            assertFalse(results.stream().anyMatch(r -> r.verdict().plateau().detected()));
            assertFalse(anyStop(results));
        }
    }

    @Nested
    class Divergence {

        @Test
        void nanIsCriticalAtOnceAndStops() {
            List<EpochPoint> epochs = new ArrayList<>(Curves.healthy(10));
            epochs.add(EpochPoint.ofLosses(10, Double.NaN, 1.0));
            List<AnalysisResult> results = Curves.feed(epochs);
            AnalysisResult last = results.get(10);
            assertTrue(last.verdict().divergence().detected());
            assertEquals("nan", last.verdict().divergence().kind());
            assertEquals(10, last.verdict().divergence().epoch());
            assertEquals(Verdict.STOP, last.verdict().recommendation().action());
            assertTrue(last.alertChanges().stream().anyMatch(c -> c.opened() && c.alert().id().equals(
                    "divergence.nan@10") && c.alert().severity().equals(Alert.CRITICAL)));
        }

        @Test
        void infiniteValidationLossIsDivergenceToo() {
            List<EpochPoint> epochs = new ArrayList<>(Curves.healthy(5));
            epochs.add(EpochPoint.ofLosses(5, 0.5, Double.POSITIVE_INFINITY));
            Verdict v = Curves.replay(epochs).verdict();
            assertEquals("inf", v.divergence().kind());
            assertEquals("val_loss", v.divergence().series());
        }

        @Test
        void aSingleNanValidationEpochThatRecoversDoesNotKeepTheRunStopped() {
            List<EpochPoint> epochs = new ArrayList<>(Curves.healthy(30));
            epochs.set(12, EpochPoint.ofLosses(12, epochs.get(12).trainLoss(), Double.NaN));
            List<AnalysisResult> results = Curves.feed(epochs);
            assertEquals(Verdict.STOP, results.get(12).verdict().recommendation().action());
            Verdict last = results.get(29).verdict();
            assertFalse(last.divergence().detected());
            assertTrue(last.divergence().recovered());
            assertEquals("val_loss", last.divergence().series());
            assertEquals(Verdict.CONTINUE, last.recommendation().action());
            // Back to normal at epoch 13; the alert resolves once the condition has been absent resolve_epochs running.
            int resolveEpochs = AlertBook.resolveEpochs(AnalysisSettings.defaults());
            assertTrue(last.alerts().stream().anyMatch(a -> a.id().equals("divergence.nan@12")
                    && Integer.valueOf(13 + resolveEpochs - 1).equals(a.resolvedEpoch())), last.alerts().toString());
        }

        @Test
        void recoveredWarmupSpikeIsToldApartAndNeverStopsTheRun() {
            List<EpochPoint> epochs = Curves.of(30, e -> {
                double base = 0.2 + 2.0 * Math.exp(-e / 10.0);
                double train = e == 3 ? base * 3 : base;
                return EpochPoint.ofLosses(e, train, base + 0.1).withLearningRate(e < 5 ? 0.001 * (e + 1) : 0.005);
            });
            List<AnalysisResult> results = Curves.feed(epochs);
            assertEquals("spike", results.get(3).verdict().divergence().kind());
            assertTrue(results.get(3).verdict().divergence().detected());
            Verdict last = results.get(29).verdict();
            assertFalse(last.divergence().detected());
            assertTrue(last.divergence().recovered());
            assertFalse(anyStop(results));
            assertTrue(last.alerts().stream().anyMatch(a -> a.kind().equals("divergence.spike")
                    && a.resolvedEpoch() != null), "the spike alert resolved");
        }

        @Test
        void sustainedRiseOfTrainingLossIsTerminalDivergence() {
            List<EpochPoint> epochs = Curves.of(40, e -> {
                double train = e < 20 ? 1.0 - 0.02 * e : 0.6 * Math.pow(1.12, e - 20);
                return EpochPoint.ofLosses(e, train, train + 0.1);
            });
            List<AnalysisResult> results = Curves.feed(epochs);
            Verdict v = results.get(39).verdict();
            assertTrue(v.divergence().detected());
            assertEquals("sustained_rise", v.divergence().kind());
            assertFalse(v.divergence().recovered());
            int start = v.divergence().epoch();
            assertEquals(Verdict.REDUCE_LR, results.get(start).verdict().recommendation().action(),
                    "first: reduce the learning rate");
            assertEquals(Verdict.REDUCE_LR, results.get(start + 9).verdict().recommendation().action());
            // Not recovered after a whole patience (10): the run will not come back by itself.
            Verdict.Recommendation late = results.get(start + 10).verdict().recommendation();
            assertEquals(Verdict.STOP, late.action(), late.reason());
            assertTrue(late.reason().contains("has not recovered in 10 epochs"), late.reason());
        }

        @Test
        void nanEpochsInTheMiddleAreAbsorbedWithoutException() {
            List<EpochPoint> epochs = Curves.of(30, e -> EpochPoint.ofLosses(e, e % 7 == 3 ? Double.NaN
                    : 1.0 / (e + 1), e % 5 == 2 ? null : 1.1 / (e + 1)));
            for (AnalysisResult r : Curves.feed(epochs)) {
                assertNotNull(r.verdict().recommendation());
            }
        }
    }

    @Nested
    class Stability {

        @Test
        void oscillatingLossHasHighCvAndAVolatilePeriod() {
            Verdict v = Curves.replay(Curves.of(40, e -> EpochPoint.ofLosses(e, 0.5,
                    0.5 * (1 + 0.4 * (e % 2 == 0 ? 1 : -1))))).verdict();
            assertTrue(v.stability().cv() > 0.1, "cv " + v.stability().cv());
            assertTrue(v.stability().oscillation() > 0.9);
            assertFalse(v.stability().volatilePeriods().isEmpty());
            assertEquals("unstable", v.trend().get("val_loss").state());
        }

        @Test
        void smoothLossIsStable() {
            Verdict v = Curves.replay(Curves.healthy(40)).verdict();
            assertTrue(v.stability().cv() < 0.02, "cv " + v.stability().cv());
            assertTrue(v.stability().volatilePeriods().isEmpty());
            assertTrue(v.scores().stability() > 0.9);
        }
    }

    @Nested
    class Gradients {

        private EpochPoint withGrad(int e, double norm, Map<String, Double> layers, Integer clipped) {
            return EpochPoint.ofLosses(e, 1.0 / (e + 1), 1.1 / (e + 1)).withGradients(norm, norm * 2, layers,
                    clipped, (e + 1) * 100L);
        }

        @Test
        void explodingGradientsAdviseReducingTheLearningRateWithAClipValue() {
            List<EpochPoint> epochs = new ArrayList<>();
            for (int e = 0; e < 6; e++) {
                epochs.add(withGrad(e, 2.0, null, 0));
            }
            epochs.add(withGrad(6, 500.0, null, 0));
            Verdict v = Curves.replay(epochs).verdict();
            assertTrue(v.gradients().exploding());
            assertEquals(Verdict.REDUCE_LR, v.recommendation().action());
            assertEquals(4.0, v.gradients().suggestedClip(), 1e-9, "twice the median recent norm");
            // The advice says by how much: an order of magnitude (learning_rate.divergence_factor), in the reason and
            // in the evidence's params.
            assertTrue(v.recommendation().reason().startsWith("Reduce the learning rate (e.g. × 0.1) or clip"),
                    v.recommendation().reason());
            assertEquals(0.1, v.recommendation().evidence().stream().filter(x -> x.rule().equals("gradients.exploding"))
                    .findFirst().orElseThrow().params().get("lr_factor"));
            assertTrue(v.alerts().stream().anyMatch(a -> a.kind().equals("gradients.exploding")
                    && a.severity().equals(Alert.CRITICAL)));
        }

        @Test
        void vanishingDeadAndImbalancedLayersAreReported() {
            Verdict v = Curves.replay(List.of(withGrad(0, 1e-9, Map.of("a", 1e-9, "b", 0.0, "c", 1e-5), 0)))
                    .verdict();
            assertTrue(v.gradients().vanishing());
            assertEquals(List.of("b"), v.gradients().deadLayers());
            assertTrue(v.gradients().imbalance());
            assertEquals(10000.0, v.gradients().imbalanceRatio(), 1e-6);
            assertEquals(Verdict.INVESTIGATE, v.recommendation().action());
        }

        @Test
        void healthyGradientsRaiseNothingAndClipFrequencyIsPerStep() {
            List<EpochPoint> epochs = new ArrayList<>();
            for (int e = 0; e < 5; e++) {
                epochs.add(withGrad(e, 1.0, Map.of("a", 1.0, "b", 0.5), 25));
            }
            Verdict v = Curves.replay(epochs).verdict();
            assertFalse(v.gradients().exploding() || v.gradients().vanishing() || v.gradients().imbalance());
            assertTrue(v.gradients().deadLayers().isEmpty());
            assertEquals(0.25, v.gradients().clipFrequency(), 1e-9);
        }

        @Test
        void withoutGradientsTheVerdictSaysSo() {
            Verdict v = Curves.replay(Curves.healthy(5)).verdict();
            assertEquals(Verdict.Gradients.NOT_MEASURED, v.gradients());
            assertTrue(v.notAssessed().contains("gradients: not measured"), v.notAssessed().toString());
        }
    }

    @Nested
    class ThroughputForecastAndCompute {

        @Test
        void fallingThroughputAndEtaFromDurationsAndTotalEpochs() {
            Verdict v = Curves.replay(Curves.of(20, e -> EpochPoint.ofLosses(e, 1.0 / (e + 1), 1.1 / (e + 1))
                    .withTiming(2000L, 1000.0 - 40 * e, 100))).verdict();
            assertEquals("falling", v.throughput().trend());
            assertEquals(2.0, v.throughput().epochSeconds(), 1e-9);
            assertEquals(80 * 2.0, v.throughput().etaSeconds(), 1e-9);
        }

        @Test
        void forecastOfADecayingCurveLiesBelowTheBestWithAnInterval() {
            Verdict v = Curves.replay(Curves.of(30, e -> EpochPoint.ofLosses(e, 0.2 + 2.0 * Math.exp(-e / 15.0),
                    0.3 + 2.0 * Math.exp(-e / 15.0) + 0.002 * Curves.noise(e)).withTiming(null, null, 100))).verdict();
            Verdict.Forecast f = v.forecast();
            assertNotNull(f);
            assertTrue(f.finalValLoss() < v.bestValLoss(), "still falling: " + f);
            assertTrue(f.finalValLoss() > 0.25, "levels off, not a straight line to zero: " + f);
            assertTrue(f.low() <= f.finalValLoss() && f.finalValLoss() <= f.high());
            assertTrue(f.expectedGain() > 0);
            assertEquals(99, f.atEpoch());
        }

        @Test
        void computeAfterTheBestEpochIsSummedFromDurations() {
            Verdict v = Curves.replay(OverfittingKeyCaseTest.keyCase().stream()
                    .map(p -> p.withTiming(1500L, null, null)).toList()).verdict();
            assertEquals(20, v.afterBest().epochs());
            assertEquals(30.0, v.afterBest().computeSeconds(), 1e-9);
        }

        @Test
        void earlyStoppingIsReadyAfterTheRunsPatience() {
            AnalysisSettings five = AnalysisSettings.defaults().withOverrides(5, null, null);
            List<EpochPoint> epochs = Curves.of(12, e -> EpochPoint.ofLosses(e, 1.0 / (e + 1), e <= 5 ? 1.0 - 0.1 * e
                    : 0.5 + 0.01 * Curves.noise(e) + 0.02));
            RunAnalyzer a = new RunAnalyzer(five);
            List<Boolean> ready = new ArrayList<>();
            for (EpochPoint p : epochs) {
                ready.add(a.onEpoch(p).verdict().earlyStopping().ready());
            }
            assertEquals(List.of(false, false, false, false, false, false, false, false, false, false, true, true),
                    ready);
        }
    }

    @Nested
    class LearningRateAndBounds {

        @Test
        void aStepThatRestartsProgressIsReportedAsImproving() {
            List<EpochPoint> epochs = Curves.of(40, e -> {
                double val = e < 20 ? 0.5 + 0.5 * Math.exp(-e / 3.0) + 0.002 * Curves.noise(e)
                        : 0.5 + 0.5 * Math.exp(-20 / 3.0) - 0.1 * (1 - Math.exp(-(e - 20) / 5.0));
                return EpochPoint.ofLosses(e, val - 0.1, val).withLearningRate(e < 20 ? 0.1 : 0.01);
            });
            Verdict v = Curves.replay(epochs).verdict();
            assertEquals(20, v.learningRate().lastChangeEpoch());
            assertEquals("improved", v.learningRate().effect());
            assertEquals("stepped", v.learningRate().schedule());
        }

        @Test
        void aLongRunKeepsItsVerdictBounded() {
            List<EpochPoint> epochs = Curves.of(20_000, e -> {
                double base = 0.2 + 2.0 * Math.exp(-e / 500.0);
                return EpochPoint.ofLosses(e, e % 97 == 50 ? base * 5 : base, base * (1 + 0.2 * Curves.noise(e)))
                        .withGradients(1.0, 2.0, Map.of("a", 1.0, "b", e % 89 == 0 ? 0.0 : 0.5), 1, (e + 1) * 10L);
            });
            Verdict v = Curves.replay(epochs).verdict();
            long open = v.alerts().stream().filter(Alert::stillOpen).count();
            assertTrue(v.alerts().size() - open <= RunAnalyzer.MAX_RESOLVED_KEPT, "resolved alerts kept");
            assertTrue(v.stability().volatilePeriods().size() <= RunAnalyzer.MAX_VOLATILE_PERIODS);
        }

        @Test
        void nullLayerValuesAreNotMeasurementsNotErrors() {
            Map<String, Double> layers = new java.util.HashMap<>();
            layers.put("a", 1.0);
            layers.put("b", null);
            Verdict v = Curves.replay(List.of(EpochPoint.ofLosses(0, 1.0, 1.0).withGradients(1.0, null, layers, null,
                    null))).verdict();
            assertTrue(v.gradients().deadLayers().isEmpty());
        }
    }

    @Nested
    class Alerts {

        @Test
        void alertsOpenOnceAndResolveWithDeterministicIds() {
            List<EpochPoint> epochs = Curves.of(30, e -> {
                double base = 0.2 + 2.0 * Math.exp(-e / 10.0);
                return EpochPoint.ofLosses(e, e == 12 ? base * 4 : base, base + 0.1);
            });
            Set<String> opened = new HashSet<>();
            int resolved = 0;
            for (AnalysisResult r : Curves.feed(epochs)) {
                for (AlertChange c : r.alertChanges()) {
                    if (c.opened()) {
                        assertTrue(opened.add(c.alert().id()), "opened twice: " + c.alert().id());
                        assertEquals(c.alert().kind() + "@" + c.alert().openedEpoch(), c.alert().id());
                    } else {
                        resolved++;
                        assertTrue(opened.contains(c.alert().id()));
                        assertEquals(r.verdict().epoch(), c.alert().resolvedEpoch());
                    }
                }
            }
            assertTrue(opened.contains("divergence.spike@12"), opened.toString());
            assertTrue(resolved >= 1);
        }

        @Test
        void negativeUnboundedLossIsFlaggedForInvestigation() {
            Verdict v = Curves.replay(Curves.of(30, e -> EpochPoint.ofLosses(e, 1.0 - 0.3 * e * e / 10.0, null)))
                    .verdict();
            assertEquals(Verdict.INVESTIGATE, v.recommendation().action(), v.recommendation().reason());
            assertTrue(v.alerts().stream().anyMatch(a -> a.kind().equals("loss.unbounded")));
        }
    }
}
