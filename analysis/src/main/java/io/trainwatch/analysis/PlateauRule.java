package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.capitalise;
import static io.trainwatch.analysis.Fmt.params;
import static io.trainwatch.analysis.Fmt.pct;

import java.util.Map;

/**
 * Plateau and convergence: the best confirmed level of the monitored loss improved by less than
 * {@code plateau.min_relative_improvement} over the window, no scheduler step within the grace, and no trend still
 * improving. Converged when the loss fell a long way first and training loss is flat too. Advises reducing a
 * constant learning rate (by {@code learning_rate.plateau_factor}), or stopping once the forecast promises less
 * than the threshold.
 */
final class PlateauRule implements Rule<Verdict.Plateau> {

    /** Thresholds of the rule, validated. */
    record Settings(double minImprovement, double volatileCv, int patience, int minEpochs, double lrFactor) {

        Settings {
            if (!(minImprovement > 0 && minImprovement < 1)) {
                throw new IllegalArgumentException("plateau.min_relative_improvement: must be in (0, 1), was "
                        + minImprovement);
            }
            if (!(lrFactor > 0 && lrFactor < 1)) {
                throw new IllegalArgumentException("learning_rate.plateau_factor: must be in (0, 1), was " + lrFactor);
            }
        }

        static Settings from(AnalysisSettings s, RunState.Settings common) {
            return new Settings(s.threshold("plateau.min_relative_improvement"), common.volatileCv(),
                    common.patience(), Math.max(1, (int) Math.round(s.threshold("overfitting.min_epochs"))),
                    s.threshold("learning_rate.plateau_factor"));
        }
    }

    private final Settings settings;
    private final LearningRateRule lr;
    // Best-so-far of the monitored loss over the last window + 1 epochs: the plateau compares its ends.
    private Ring bestHistory;
    private int plateauSince = -1;
    private boolean plateauOnVal;

    PlateauRule(Settings settings, RunState.Settings common, LearningRateRule lr) {
        this.settings = settings;
        this.lr = lr;
        bestHistory = new Ring(common.window() + 1);
    }

    @Override
    public Verdict.Plateau observe(EpochPoint p, RunState state, Findings f) {
        updateHistory(state.epoch, state);
        Verdict.Plateau plateau = judge(state.epoch, state.monitored(), state, f);
        if (plateau.detected()) {
            advise(plateau, state, f);
        }
        return plateau;
    }

    private void advise(Verdict.Plateau plateau, RunState state, Findings f) {
        int window = state.window;
        String name = state.monitoredName();
        double rel = settings.minImprovement();
        int rank = Recommender.RANK_PLATEAU;
        f.condition(rank, "plateau", new Condition(Alert.INFO, () -> capitalise(name) + " has improved less than "
                + pct(rel) + " per " + window + " epochs since epoch " + plateau.sinceEpoch() + "."));
        f.evidence(rank, () -> new Verdict.Evidence("plateau.relative_improvement",
                params("window", window, "min_relative_improvement", rel, "lr_grace_epochs", lr.grace(),
                        "lr_factor", settings.lrFactor()),
                params("since_epoch", plateau.sinceEpoch(), "relative_improvement", plateau.relativeImprovement(),
                        "converged", plateau.converged())));
        Verdict.Forecast forecast = f.forecast;
        double gainRel = forecast != null && forecast.expectedGain() != null && state.bestEpoch >= 0
                ? forecast.expectedGain() / Math.abs(state.bestVal) : 0;
        String bestText = state.bestText();
        if (lr.knownConstant() && !plateau.converged()) {
            f.advise(new Advice(Recommender.PLATEAU, Verdict.REDUCE_LR, 0.6, () -> "Reduce the learning rate (e.g. × "
                    + Fmt.fmt(settings.lrFactor()) + "): " + name + " has improved less than " + pct(rel) + " per "
                    + window + " epochs since epoch " + plateau.sinceEpoch() + " at a constant learning rate."));
        } else if (gainRel < rel && (state.bestEpoch < 0 || state.sinceBest() >= plateauStopEpochs(plateau, state))) {
            f.advise(new Advice(Recommender.PLATEAU, Verdict.STOP, plateau.converged() ? 0.75 : 0.65, () -> "Stop: " + name
                    + " has " + (plateau.converged() ? "converged" : "plateaued") + ", improving less than "
                    + pct(rel) + " per " + window + " epochs since epoch " + plateau.sinceEpoch()
                    + (bestText != null ? "; " + bestText : "") + "."));
        }
    }

    private void updateHistory(int e, RunState state) {
        boolean valFinite = state.valFinite;
        boolean trainFinite = state.trainFinite;
        boolean onVal = state.val.size() > 0;
        if (onVal != plateauOnVal && onVal) {
            // Validation appeared: the plateau is judged on it from now on.
            bestHistory = new Ring(state.window + 1);
            plateauSince = -1;
            plateauOnVal = true;
        }
        if (onVal ? !valFinite : !trainFinite) {
            return;
        }
        // The plateau compares confirmed levels (median of 3), not raw minima: one lucky low epoch would otherwise
        // make ten epochs of real progress look like less than the threshold.
        Ring m = onVal ? state.val : state.train;
        double level = m.median(Math.min(3, m.size()));
        double previous = bestHistory.size() == 0 ? Double.POSITIVE_INFINITY : bestHistory.lastY();
        bestHistory.add(e, Math.min(previous, level));
    }

    private Verdict.Plateau judge(int e, Ring monitored, RunState state, Findings f) {
        Map<String, Verdict.Trend> trends = f.trends;
        Verdict.Stability stability = f.stability;
        if (monitored.size() < 3 || bestHistory.size() == 0) {
            f.notAssessed("plateau: fewer than 3 epochs of loss");
            return new Verdict.Plateau(false, null, null, state.window, lr.changedRecently(e), false);
        }
        double then = bestHistory.y(0);
        double best = bestHistory.lastY();
        double rel = then == 0 ? 0 : (then - best) / Math.abs(then);
        boolean recentLr = lr.changedRecently(e);
        boolean flat = bestHistory.size() == bestHistory.capacity() && rel < settings.minImprovement();
        // A noisy run can go a state.window without a 2 % better best while its level still falls: neither the state.window's
        // trend nor the robust trend over two state.windows may be improving.
        boolean stillImproving = flat && (Verdict.Trend.IMPROVING.equals(state.trend(monitored, state.window, false).state())
                || stability.cv() != null && stability.cv() > settings.volatileCv() / 2
                        && Verdict.Trend.IMPROVING.equals(state.trend(monitored, state.longWindow, false).state()));
        boolean detected = flat && !recentLr && !stillImproving;
        if (detected && plateauSince < 0) {
            plateauSince = (int) bestHistory.x(0);
        } else if (!detected) {
            plateauSince = -1;
        }
        boolean converged = false;
        if (detected) {
            // A plateau after the loss fell a long way, with training loss flat too, is convergence; a plateau
            // close to where the run started is a stall.
            double first = monitored == state.val ? state.firstVal : state.firstTrain;
            boolean learned = first - best > 0.1 * Math.abs(first);
            Verdict.Trend t = trends.get(RunState.TRAIN_LOSS);
            boolean trainFlat = t == null || !Verdict.Trend.IMPROVING.equals(t.state());
            converged = learned && trainFlat;
        }
        return new Verdict.Plateau(detected, detected ? plateauSince : null, Fmt.round(rel), state.window, recentLr, converged);
    }

    private int plateauStopEpochs(Verdict.Plateau plateau, RunState state) {
        int full = Math.min(settings.patience(), state.window);
        return plateau.converged() ? Math.max(settings.minEpochs(), full / 2) : full;
    }
}
