package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.capitalise;
import static io.trainwatch.analysis.Fmt.fmt;
import static io.trainwatch.analysis.Fmt.params;
import static io.trainwatch.analysis.Fmt.round;

/**
 * An unbounded loss: the monitored loss is negative and still falling significantly, at least doubling in magnitude
 * over the window. A well-posed loss is bounded below (usually by 0); one that runs towards −∞ is mis-specified
 * (a sign error, a log of a density without its normaliser), so no improvement it shows means anything.
 */
final class UnboundedLossRule implements Rule<Boolean> {

    private final int window;
    private final double significance;

    UnboundedLossRule(RunState.Settings common) {
        this.window = common.window();
        this.significance = common.significance();
    }

    @Override
    public Boolean observe(EpochPoint p, RunState state, Findings f) {
        Ring monitored = state.monitored();
        if (monitored.size() < window || monitored.lastY() >= 0) {
            return false;
        }
        Ring.Fit fit = monitored.fit(window);
        if (fit == null || fit.slope() >= 0 || fit.tStat() < significance
                || Math.abs(monitored.lastY()) <= 2 * Math.abs(monitored.y(monitored.size() - window))) {
            return false;
        }
        String name = state.monitoredName();
        int rank = Recommender.RANK_UNBOUNDED;
        f.condition(rank, "loss.unbounded", new Condition(Alert.WARNING,
                () -> capitalise(name) + " is negative and still falling fast; the loss may be unbounded."));
        f.evidence(rank, () -> new Verdict.Evidence("loss.unbounded", params("window", window),
                params("loss", round(monitored.lastY()), "slope", round(fit.slope()))));
        f.advise(new Advice(Recommender.UNBOUNDED, Verdict.INVESTIGATE, 0.7, () -> "Investigate: " + name + " is negative ("
                + fmt(monitored.lastY()) + ") and keeps falling; a mis-specified loss can fall without bound."));
        return true;
    }
}
