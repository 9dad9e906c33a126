package io.trainwatch.analysis;

/**
 * The four 0-1 scores of the verdict (overfitting, convergence, stability, generalisation), summarised from the
 * rules' sections: no state, no advice of their own.
 */
final class Scores {

    private final double minRise;
    private final double minRelSlope;
    private final double volatileCv;

    Scores(AnalysisSettings s) {
        minRise = s.threshold("overfitting.min_rise");
        minRelSlope = s.threshold("trend.min_relative_slope");
        volatileCv = s.threshold("stability.volatile_cv");
    }

    Verdict.Scores score(Verdict.Overfitting o, Verdict.Stability s, RunState state, String validationIssue) {
        Ring monitored = state.monitored();
        Double overfit = null;
        Double generalisation = null;
        if (state.val.size() > 0 && state.train.size() > 0 && validationIssue == null) {
            double rise = Math.max(0, (state.val.median(3) - state.bestVal) / Math.abs(state.bestVal));
            double score = o.detected() ? 0.5 + 0.5 * Fmt.clamp(rise / 0.2) : 0.5 * Fmt.clamp(rise / (2 * minRise));
            overfit = Fmt.round(score);
            if (o.gapRel() != null) {
                generalisation = Fmt.round(1 - Fmt.clamp(Math.max(0, o.gapRel())));
            }
        }
        Double convergence = null;
        if (monitored.size() >= 3) {
            Ring.Fit fit = monitored.fit(state.window);
            double level = Math.abs(fit.meanY());
            double rel = level > 0 ? Math.abs(fit.slope()) / level : 0;
            convergence = Fmt.round(1 - Fmt.clamp(rel / (10 * minRelSlope)));
        }
        Double stability = s.cv() == null ? null : Fmt.round(1 - Fmt.clamp(s.cv() / (2 * volatileCv)));
        return new Verdict.Scores(overfit, convergence, stability, generalisation);
    }
}
