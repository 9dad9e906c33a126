package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.capitalise;
import static io.trainwatch.analysis.Fmt.fmt;
import static io.trainwatch.analysis.Fmt.params;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Stability of the monitored loss: the coefficient of variation of its detrended values over the window and the rate
 * of direction changes; volatile periods open above {@code stability.volatile_cv} and close below 80 % of it (its
 * own hysteresis), the newest {@link RunAnalyzer#MAX_VOLATILE_PERIODS} kept.
 */
final class StabilityRule implements Rule<Verdict.Stability> {

    /** Thresholds of the rule, validated. */
    record Settings(double volatileCv, double oscillation) {

        Settings {
            if (!(volatileCv > 0)) {
                throw new IllegalArgumentException("stability.volatile_cv: must be > 0, was " + volatileCv);
            }
            if (!(oscillation > 0 && oscillation <= 1)) {
                throw new IllegalArgumentException("stability.oscillation: must be in (0, 1], was " + oscillation);
            }
        }

        static Settings from(AnalysisSettings s) {
            return new Settings(s.threshold("stability.volatile_cv"), s.threshold("stability.oscillation"));
        }
    }

    private final Settings settings;
    private final Deque<Verdict.Period> volatilePeriods = new ArrayDeque<>();
    private Integer volatileSince;

    StabilityRule(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Verdict.Stability observe(EpochPoint p, RunState state, Findings f) {
        Verdict.Stability s = judge(state.epoch, state.monitored(), state, f);
        if (s.cv() != null && (s.cv() > settings.volatileCv() || s.oscillation() != null
                && s.oscillation() > settings.oscillation() && s.cv() > settings.volatileCv() / 2)) {
            String name = state.monitoredName();
            int rank = Recommender.RANK_STABILITY;
            f.condition(rank, "instability", new Condition(Alert.INFO, () -> capitalise(name) + " is volatile (cv "
                    + fmt(s.cv()) + ", oscillation " + fmt(s.oscillation()) + ")."));
            f.evidence(rank, () -> new Verdict.Evidence("stability.volatility",
                    params("volatile_cv", settings.volatileCv(), "oscillation", settings.oscillation()),
                    params("cv", s.cv(), "oscillation", s.oscillation())));
        }
        return s;
    }

    private Verdict.Stability judge(int e, Ring monitored, RunState state, Findings f) {
        if (monitored.size() < 5) {
            f.notAssessed("stability: fewer than 5 epochs of loss");
            return new Verdict.Stability(null, null, List.copyOf(volatilePeriods));
        }
        Ring.Fit fit = monitored.fit(state.window);
        double level = Math.abs(fit.meanY());
        double cv = level > 0 ? fit.residualSd() / level : 0;
        double osc = monitored.oscillation(state.window);
        if (volatileSince == null && cv > settings.volatileCv()) {
            volatileSince = e;
            if (volatilePeriods.size() == RunAnalyzer.MAX_VOLATILE_PERIODS) {
                volatilePeriods.removeFirst();
            }
            volatilePeriods.addLast(new Verdict.Period(e, null));
        } else if (volatileSince != null && cv <= 0.8 * settings.volatileCv()) {
            volatilePeriods.removeLast();
            volatilePeriods.addLast(new Verdict.Period(volatileSince, e));
            volatileSince = null;
        }
        return new Verdict.Stability(Fmt.round(cv), Fmt.round(osc), List.copyOf(volatilePeriods));
    }
}
