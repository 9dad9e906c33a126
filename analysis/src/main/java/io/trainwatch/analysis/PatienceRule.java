package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.params;

/**
 * Early stopping by patience ({@link Patience}, tracked in {@link RunState}): ready once {@code patience} epochs
 * have passed since the best validation loss. Advises stopping then, unless the loss still falls over two windows
 * (by least squares or by the robust trend): a noisy run can go a patience without a new best while its level still
 * falls. Also reports the epochs and compute spent since the best.
 */
final class PatienceRule implements Rule<Verdict.EarlyStopping> {

    private final RunState.Settings settings;
    private double secondsSinceBest;
    private boolean durationsComplete = true;
    private boolean anyDuration;
    private Verdict.AfterBest afterBest = Verdict.AfterBest.NOT_ASSESSED;

    PatienceRule(RunState.Settings settings) {
        this.settings = settings;
    }

    @Override
    public Verdict.EarlyStopping observe(EpochPoint p, RunState state, Findings f) {
        updateCompute(p, state);
        int since = state.sinceBest();
        if (state.bestEpoch < 0) {
            f.notAssessed("best epoch: no validation loss");
            afterBest = Verdict.AfterBest.NOT_ASSESSED;
        } else {
            afterBest = new Verdict.AfterBest(since, durationsComplete ? Fmt.round(secondsSinceBest) : null);
            if (!durationsComplete) {
                f.notAssessed(anyDuration ? "after_best.compute_seconds: duration_ms missing for some epochs"
                        : "after_best.compute_seconds: no duration_ms");
            }
        }
        boolean ready = state.best.due(state.epoch);
        if (ready) {
            f.evidence(Recommender.RANK_PATIENCE, () -> new Verdict.Evidence("early_stopping.patience",
                    params("patience", settings.patience(), "min_delta", settings.minDelta()),
                    params("epochs_since_improvement", since, "best_epoch", state.bestEpoch)));
            // The long-term trend costs O(n²): only when no rule above has already decided.
            if (!f.advisedAbove(Recommender.PATIENCE) && !longImproving(state)) {
                f.advise(new Advice(Recommender.PATIENCE, Verdict.STOP, 0.6, () -> "Stop: validation loss has not improved"
                        + " for " + since + " epochs; " + state.bestText() + "."));
            }
        }
        return new Verdict.EarlyStopping(settings.patience(), settings.minDelta(), ready);
    }

    /** Epochs and compute since the best; set by {@link #observe}. */
    Verdict.AfterBest afterBest() {
        return afterBest;
    }

    private void updateCompute(EpochPoint p, RunState state) {
        anyDuration |= p.durationMs() != null;
        if (state.improvedVal) {
            secondsSinceBest = 0;
            durationsComplete = true;
            return;
        }
        if (state.bestEpoch < 0) {
            return;
        }
        if (p.durationMs() == null) {
            durationsComplete = false;
        } else {
            secondsSinceBest += p.durationMs() / 1000.0;
        }
    }

    /** Whether the monitored loss still falls over two windows, by least squares or by the robust trend. */
    private boolean longImproving(RunState state) {
        Ring monitored = state.monitored();
        if (monitored.size() < 3) {
            return false;
        }
        return Verdict.Trend.IMPROVING.equals(state.trend(monitored, state.longWindow, false).state())
                || robustlyImproving(monitored, state.longWindow);
    }

    /** Falling by the robust trend: Mann-Kendall z below -significance and a Theil-Sen slope that matters. */
    private boolean robustlyImproving(Ring ring, int n) {
        double[] t = ring.robustTrend(n);
        if (t == null) {
            return false;
        }
        double level = Math.abs(ring.median(Math.min(n, ring.size())));
        return t[1] <= -settings.significance() && level > 0 && t[0] / level <= -settings.minRelSlope();
    }
}
