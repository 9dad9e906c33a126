package io.trainwatch.analysis;

/**
 * The learning rate: its schedule (constant, stepped, decaying, warm-up then decay), the last scheduler step (a change
 * of at least 20 % that breaks the schedule's rhythm) and its effect on the monitored loss. Null while the trainer
 * reports no learning rate.
 */
final class LearningRateRule implements Rule<Verdict.LearningRate> {

    private final RunState.Settings settings;
    private final int grace;
    private double lastLr = Double.NaN;
    private int lrChangeEpoch = -1;
    private double lrChangeRatio = Double.NaN;
    private double slopeBeforeLrChange = Double.NaN;
    private int lrDecreases;
    private int lrIncreases;
    private int lrChangeEpochs;
    private double lastLogRatio;

    LearningRateRule(RunState.Settings settings, AnalysisSettings all) {
        this.settings = settings;
        int g = (int) Math.round(all.threshold("plateau.lr_grace_epochs"));
        if (g < 0) {
            throw new IllegalArgumentException("plateau.lr_grace_epochs: must be >= 0, was " + g);
        }
        this.grace = g;
    }

    @Override
    public Verdict.LearningRate observe(EpochPoint p, RunState state, Findings f) {
        update(p.epoch(), p.learningRate(), state);
        return judge(p.epoch(), state, f);
    }

    /** Whether the rate was reported and has never changed. */
    boolean knownConstant() {
        return !Double.isNaN(lastLr) && lrChangeEpochs == 0;
    }

    /** Whether a scheduler step happened within {@code plateau.lr_grace_epochs}: its effect takes time to show. */
    boolean changedRecently(int e) {
        return lrChangeEpoch >= 0 && e - lrChangeEpoch < grace;
    }

    int grace() {
        return grace;
    }

    private void update(int e, Double lr, RunState state) {
        if (lr == null || !Double.isFinite(lr)) {
            return;
        }
        if (!Double.isNaN(lastLr) && lastLr > 0 && Math.abs(lr - lastLr) > 1e-9 * Math.abs(lastLr)) {
            double ratio = lr / lastLr;
            lrChangeEpochs++;
            if (ratio < 1) {
                lrDecreases++;
            } else {
                lrIncreases++;
            }
            // A scheduler step is a change of at least 20 % that breaks the schedule's rhythm: a smooth decay
            // (linear, cosine) also reaches large ratios near its end, but one epoch's ratio is then close to the
            // previous one's, so it is not a step.
            double logRatio = Math.abs(Math.log(ratio));
            if (logRatio > Math.log(1.25) && logRatio > 2 * lastLogRatio) {
                Ring m = state.val.size() > 0 ? state.val : state.train;
                Ring.Fit fit = m.fit(state.window);
                slopeBeforeLrChange = fit == null ? Double.NaN : fit.slope();
                lrChangeEpoch = e;
                lrChangeRatio = ratio;
            }
            lastLogRatio = logRatio;
        } else if (!Double.isNaN(lastLr)) {
            lastLogRatio = 0;
        }
        lastLr = lr;
    }

    private Verdict.LearningRate judge(int e, RunState state, Findings f) {
        if (Double.isNaN(lastLr)) {
            f.notAssessed("learning_rate: not measured");
            return null;
        }
        String schedule;
        if (lrChangeEpochs == 0) {
            schedule = "constant";
        } else if (lrIncreases > 0 && lrDecreases > 0) {
            schedule = lrChangeEpochs > 4 ? "warmup_decay" : "stepped";
        } else if (lrChangeEpochs <= 4) {
            schedule = "stepped";
        } else {
            schedule = lrDecreases > 0 ? "decaying" : "increasing";
        }
        String effect = null;
        Double after = null;
        if (lrChangeEpoch >= 0) {
            int sinceChange = e - lrChangeEpoch;
            Ring m = state.val.size() > 0 ? state.val : state.train;
            if (sinceChange < 3) {
                effect = "pending";
            } else {
                Ring.Fit fit = m.fit(Math.min(sinceChange + 1, m.size()));
                if (fit != null) {
                    after = fit.slope();
                    double level = Math.abs(fit.meanY());
                    double relAfter = level > 0 ? after / level : 0;
                    if (relAfter > settings.minRelSlope() && fit.tStat() >= settings.significance()) {
                        effect = "worsened";
                    } else if (!Double.isNaN(slopeBeforeLrChange) && after < slopeBeforeLrChange
                            && relAfter < -settings.minRelSlope()) {
                        effect = "improved";
                    } else {
                        effect = "no_effect";
                    }
                }
            }
        }
        return new Verdict.LearningRate(Fmt.round(lastLr), lrChangeEpoch >= 0 ? lrChangeEpoch : null,
                Fmt.round(lrChangeRatio), Fmt.round(slopeBeforeLrChange), Fmt.round(after == null ? Double.NaN : after), effect,
                schedule);
    }
}
