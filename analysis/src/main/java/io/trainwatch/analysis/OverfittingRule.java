package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.params;
import static io.trainwatch.analysis.Fmt.pct;

/**
 * Overfitting: validation loss risen above its best, beyond the run's own noise, for some epochs while the training
 * loss falls. The run's noise is measured two ways: its epoch-to-epoch changes, and its excursions (how far validation
 * rose above its best before a new best came; the largest recovered one says how high a rise can go and still be
 * noise for this run). Also reports the train/validation gap, its slope and the correlation of their changes, and
 * advises stopping once confident.
 */
final class OverfittingRule implements Rule<Verdict.Overfitting> {

    /** Thresholds of the rule, validated. */
    record Settings(double minRise, int minEpochs, double excursionFactor, double minConfidence, int patience) {

        Settings {
            if (!(minRise > 0)) {
                throw new IllegalArgumentException("overfitting.min_rise: must be > 0, was " + minRise);
            }
            if (minEpochs < 1) {
                throw new IllegalArgumentException("overfitting.min_epochs: must be >= 1, was " + minEpochs);
            }
            if (!(excursionFactor >= 1)) {
                throw new IllegalArgumentException("overfitting.excursion_factor: must be >= 1, was "
                        + excursionFactor);
            }
            if (!(minConfidence >= 0 && minConfidence <= 1)) {
                throw new IllegalArgumentException("recommendation.min_confidence: must be in [0, 1], was "
                        + minConfidence);
            }
        }

        static Settings from(AnalysisSettings s, RunState.Settings common) {
            return new Settings(s.threshold("overfitting.min_rise"),
                    Math.max(1, (int) Math.round(s.threshold("overfitting.min_epochs"))),
                    s.threshold("overfitting.excursion_factor"), s.threshold("recommendation.min_confidence"),
                    common.patience());
        }
    }

    private final Settings settings;
    private double excursion;
    private double maxRecoveredExcursion;
    // The ratio of validation to training loss at the first epoch measuring both: far from 1 there, the two losses
    // are on different scales (a summed loss, another loss function), and gaps mean nothing.
    private double firstScaleRatio = Double.NaN;

    OverfittingRule(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Verdict.Overfitting observe(EpochPoint p, RunState state, Findings f) {
        if (state.improvedVal) {
            maxRecoveredExcursion = Math.max(maxRecoveredExcursion, excursion);
            excursion = 0;
        } else if (state.valFinite) {
            excursion = Math.max(excursion, (state.confirmedLevel() - state.bestVal) / Math.abs(state.bestVal));
        }
        Verdict.Overfitting o = judge(state.epoch, state, f, f.validationIssue);
        if (o.detected()) {
            advise(o, state, f);
        }
        return o;
    }

    private void advise(Verdict.Overfitting o, RunState state, Findings f) {
        int e = state.epoch;
        int rank = Recommender.RANK_OVERFITTING;
        double risen = (state.val.median(3) - state.bestVal) / Math.abs(state.bestVal);
        int bestEpoch = state.bestEpoch;
        f.condition(rank, "overfitting", new Condition(Alert.WARNING, () -> "Validation loss has risen "
                + pct(risen) + " above its best (epoch " + bestEpoch + ") while training loss falls."));
        f.evidence(rank, () -> new Verdict.Evidence("overfitting.gap_trend",
                params("min_rise", settings.minRise(), "min_epochs", settings.minEpochs(), "window", state.window),
                params("best_epoch", state.bestEpoch, "best_val_loss", Fmt.round(state.bestVal), "epochs_since_best",
                        e - state.bestEpoch, "gap", o.gap(), "gap_slope", o.gapSlope(), "correlation",
                        o.correlation())));
        // Stopping needs a window of validation history: a rise in the first epochs is too often warm-up.
        if (o.confidence() != null && o.confidence() >= settings.minConfidence()
                && state.val.size() >= state.minStopHistory()) {
            f.advise(new Advice(Recommender.OVERFITTING, Verdict.STOP, o.confidence(), () -> "Stop: validation loss has"
                    + " risen for " + (e - state.bestEpoch) + " epochs while training loss fell (" + o.severity()
                    + " overfitting); " + state.bestText() + "."));
        }
    }

    private Verdict.Overfitting judge(int e, RunState state, Findings f, String validationIssue) {
        if (state.val.size() == 0) {
            f.notAssessed("overfitting: no validation loss");
            return new Verdict.Overfitting(false, null, "none", null, null, null, null, null, validationIssue);
        }
        if (state.train.size() == 0) {
            f.notAssessed("overfitting: no training loss");
            return new Verdict.Overfitting(false, null, "none", null, null, null, null, null, validationIssue);
        }
        int n = Math.min(state.window, Math.min(state.val.size(), state.train.size()));
        double valNow = state.val.median(3);
        double trainNow = state.train.median(3);
        if (Double.isNaN(firstScaleRatio) && state.train.lastX() == state.val.lastX() && state.train.lastY() != 0) {
            firstScaleRatio = Math.abs(state.val.lastY() / state.train.lastY());
        }
        boolean sameScale = !(firstScaleRatio > 3 || firstScaleRatio < 1.0 / 3);
        double gap = sameScale ? valNow - trainNow : Double.NaN;
        double gapRel = sameScale && valNow != 0 ? gap / Math.abs(valNow) : Double.NaN;
        if (!sameScale) {
            f.notAssessed("overfitting.gap: validation and training loss on different scales (ratio "
                    + Fmt.fmt(firstScaleRatio) + " at the first epoch)");
        }
        Double gapSlope = null;
        Double correlation = null;
        if (n >= 3) {
            Ring.Fit vf = state.val.fit(n);
            Ring.Fit tf = state.train.fit(n);
            if (vf != null && tf != null) {
                gapSlope = Fmt.round(vf.slope() - tf.slope());
            }
            correlation = diffCorrelation(state, n);
        }
        int since = e - state.bestEpoch;
        boolean detected = false;
        double confidence = 0;
        String severity = "none";
        double rise = (state.confirmedLevel() - state.bestVal) / Math.abs(state.bestVal);
        if (validationIssue != null) {
            f.notAssessed("overfitting: validation set looks broken");
        } else if (state.val.size() < 3) {
            f.notAssessed("overfitting: fewer than 3 validation epochs");
        } else if (since >= settings.minEpochs() && rise >= settings.minRise() && state.val.size() >= 5) {
            // Validation has risen above its best; is it a rise, or the run's own noise? Every one of the last
            // min_epochs values must sit above the best by more than the run's noise (robust, from its own
            // epoch-to-epoch changes), so one spike or a wobbling plateau does not count.
            double noise = state.val.diffNoise(state.longWindow);
            int m = Math.min(settings.minEpochs(), since);
            double floor = Double.POSITIVE_INFINITY;
            for (int i = state.val.size() - m; i < state.val.size(); i++) {
                floor = Math.min(floor, state.val.y(i));
            }
            double excessFloor = floor - state.bestVal;
            boolean sustained = excessFloor > 0 && (Double.isNaN(noise) || excessFloor > noise);
            Ring.Fit trainFit = state.train.fit(Math.min(state.train.size(), Math.max(3, since + 1)));
            boolean trainFalling = !Double.isNaN(state.trainAtBest) && trainNow < state.trainAtBest
                    || trainFit != null && trainFit.slope() < 0;
            // The run has shown how far validation can rise and still come back: a rise only counts fully when it
            // clearly exceeds that.
            boolean beyondOwnNoise = rise > settings.excursionFactor() * maxRecoveredExcursion;
            // Since the best, validation must be going up, not merely sitting above a lucky low: the slope over
            // those epochs positive by at least half a standard error.
            Ring.Fit sinceBest = state.val.fit(Math.min(state.val.size(), Math.min(since + 1, state.longWindow)));
            boolean risingSinceBest = sinceBest != null && sinceBest.slope() > 0 && sinceBest.tStat() >= 0.5;
            // A jump that is already coming back down (the newest value the lowest since the best, after at least
            // two epochs) is a spike recovering, not a rise: early in a noisy run that is what a jump looks like.
            boolean receding = since >= 2 && state.val.lastY() < minSinceBestBeforeNewest(state, since);
            if (sustained && trainFalling) {
                detected = true;
                severity = rise >= 0.2 ? "severe" : rise >= 0.05 ? "moderate" : "mild";
                double evidenceEpochs = Math.min(1.0, since / (double) settings.patience());
                double evidenceRise = Math.min(1.0, Math.log(rise / settings.minRise()) / Math.log(10));
                double evidenceNoise = Double.isNaN(noise) || noise == 0 ? 1.0
                        : Math.min(1.0, (excessFloor / noise - 1) / 3);
                double evidenceHistory = Math.min(1.0, state.val.size() / (double) state.window);
                double evidenceExcursion = maxRecoveredExcursion == 0 ? 1.0
                        : Math.min(1.0, rise / (settings.excursionFactor() * maxRecoveredExcursion) - 1);
                confidence = 0.2 + 0.15 * evidenceEpochs + 0.15 * evidenceRise + 0.2 * evidenceNoise
                        + 0.15 * evidenceHistory + 0.15 * evidenceExcursion;
                if (correlation != null && correlation < 0) {
                    confidence = Math.min(1.0, confidence + 0.05);
                }
                if (!beyondOwnNoise || !risingSinceBest || receding) {
                    // The run has already recovered from a rise this large: report it, but not with the
                    // confidence a stop needs.
                    confidence = Math.min(confidence, 0.45);
                }
            }
        }
        // Onset: the first epoch after the best, the first that did not improve on it.
        return new Verdict.Overfitting(detected, detected ? state.bestEpoch + 1 : null, severity, Fmt.round(gap), Fmt.round(gapRel),
                gapSlope, correlation, Fmt.round(confidence), validationIssue);
    }

    /** The lowest validation loss after the best epoch, not counting the newest one. */
    private static double minSinceBestBeforeNewest(RunState state, int since) {
        int k = Math.min(since, state.val.size() - 1);
        double min = Double.POSITIVE_INFINITY;
        for (int i = state.val.size() - k; i < state.val.size() - 1; i++) {
            min = Math.min(min, state.val.y(i));
        }
        return min;
    }

    /** Pearson correlation of the epoch-to-epoch changes of train and validation loss over the newest epochs. */
    private static Double diffCorrelation(RunState state, int n) {
        // Pair by position among the newest values; both rings hold the same epochs when both are measured.
        int k = Math.min(n, Math.min(state.val.size(), state.train.size()));
        if (k < 4) {
            return null;
        }
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double syy = 0;
        double sxy = 0;
        int m = 0;
        for (int i = 1; i < k; i++) {
            int vi = state.val.size() - k + i;
            int ti = state.train.size() - k + i;
            if (state.val.x(vi) != state.train.x(ti)) {
                return null;
            }
            double dv = state.val.y(vi) - state.val.y(vi - 1);
            double dt = state.train.y(ti) - state.train.y(ti - 1);
            sx += dt;
            sy += dv;
            sxx += dt * dt;
            syy += dv * dv;
            sxy += dt * dv;
            m++;
        }
        double cov = sxy - sx * sy / m;
        double vx = sxx - sx * sx / m;
        double vy = syy - sy * sy / m;
        if (vx <= 0 || vy <= 0) {
            return null;
        }
        return Fmt.round(cov / Math.sqrt(vx * vy));
    }
}
