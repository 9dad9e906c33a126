package io.trainwatch.analysis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The analysis of one run, fed one epoch at a time: a façade over the shared {@link RunState}, one {@link Rule} per
 * concern, the {@link Recommender}'s priority table and the {@link AlertBook}. Everything kept is bounded by the
 * windows (ring buffers) or O(1), never by the length of the run, so a 100,000-epoch run costs what a 100-epoch run
 * costs. It reads no clock and draws no random number: the verdict after epoch N depends on epochs 0..N only, and
 * {@link #replay} of those epochs gives the same verdict as feeding them one by one.
 *
 * <p>Not thread-safe: one analyzer per run, fed by one thread at a time (the caller serialises a run's epochs).
 */
public final class RunAnalyzer {

    /** Resolved alerts kept in the verdict besides the open ones, newest first. */
    public static final int MAX_RESOLVED_KEPT = 10;
    /** Volatile periods kept in the verdict, newest last. */
    public static final int MAX_VOLATILE_PERIODS = 8;

    private final AnalysisSettings settings;
    private final RunState.Settings common;
    private final RunState state;
    private final DivergenceRule divergence;
    private final ValidationRule validation;
    private final OverfittingRule overfitting;
    private final StabilityRule stability;
    private final LearningRateRule learningRate;
    private final ForecastRule forecast;
    private final PlateauRule plateau;
    private final GradientRule gradients;
    private final UnboundedLossRule unbounded;
    private final ThroughputRule throughput;
    private final PatienceRule patience;
    private final Scores scores;
    private final AlertBook alertBook;
    private int lastEpoch = -1;

    public RunAnalyzer(AnalysisSettings settings) {
        this.settings = settings == null ? AnalysisSettings.defaults() : settings;
        AnalysisSettings s = this.settings;
        common = RunState.Settings.from(s);
        state = new RunState(common);
        divergence = new DivergenceRule(DivergenceRule.Settings.from(s, common));
        validation = new ValidationRule(ValidationRule.Settings.from(s));
        overfitting = new OverfittingRule(OverfittingRule.Settings.from(s, common));
        stability = new StabilityRule(StabilityRule.Settings.from(s));
        learningRate = new LearningRateRule(common, s);
        forecast = new ForecastRule(common);
        plateau = new PlateauRule(PlateauRule.Settings.from(s, common), common, learningRate);
        gradients = new GradientRule(GradientRule.Settings.from(s, common));
        unbounded = new UnboundedLossRule(common);
        throughput = new ThroughputRule(s, common);
        patience = new PatienceRule(common);
        scores = new Scores(s);
        alertBook = new AlertBook(s);
    }

    public AnalysisSettings settings() {
        return settings;
    }

    public static AnalysisResult replay(AnalysisSettings settings, List<EpochPoint> history) {
        RunAnalyzer analyzer = new RunAnalyzer(settings);
        if (history == null || history.isEmpty()) {
            return new AnalysisResult(analyzer.emptyVerdict(), List.of());
        }
        TreeMap<Integer, EpochPoint> byEpoch = new TreeMap<>();
        for (EpochPoint p : history) {
            if (p != null) {
                byEpoch.put(p.epoch(), p);
            }
        }
        EpochPoint lastPoint = byEpoch.pollLastEntry().getValue();
        for (EpochPoint p : byEpoch.values()) {
            analyzer.observe(p);
        }
        return analyzer.onEpoch(lastPoint);
    }

    /**
     * Takes the next epoch and returns the verdict after it with the alerts it opened or resolved.
     *
     * @throws IllegalArgumentException if the epoch is not after the last one (the caller then replays the history)
     */
    public AnalysisResult onEpoch(EpochPoint p) {
        return step(p, true);
    }

    /**
     * Takes the next epoch when its verdict will not be read — every epoch of a batch but the last: the rules update
     * their state and the alerts open or resolve exactly as {@link #onEpoch} would, but no verdict, recommendation or
     * evidence is built. Feeding epochs 1..n-1 here and n to {@link #onEpoch} gives the verdict of n that onEpoch
     * for all of them gives.
     *
     * @return the alerts this epoch opened or resolved
     * @throws IllegalArgumentException as {@link #onEpoch}
     */
    public List<AlertChange> observe(EpochPoint p) {
        return step(p, false).alertChanges();
    }

    private AnalysisResult step(EpochPoint p, boolean verdictWanted) {
        if (p == null) {
            throw new IllegalArgumentException("epoch: must not be null");
        }
        if (p.epoch() <= lastEpoch) {
            throw new IllegalArgumentException("epoch: must be greater than the last analysed epoch " + lastEpoch
                    + ", was " + p.epoch() + "; replay the history instead");
        }
        lastEpoch = p.epoch();
        state.begin(p);
        state.take(p);
        Findings f = new Findings();

        // Order matters where a rule reads another's section: trends and validation first, forecast before plateau.
        Verdict.Divergence div = divergence.observe(p, state, f);
        Map<String, Verdict.Trend> trends = new LinkedHashMap<>();
        putTrend(trends, RunState.TRAIN_LOSS, state.train, false, p.trainLoss(), state, f);
        putTrend(trends, RunState.VAL_LOSS, state.val, false, p.valLoss(), state, f);
        putTrend(trends, RunState.TRAIN_ACCURACY, state.trainAcc, true, p.trainAccuracy(), state, f);
        putTrend(trends, RunState.VAL_ACCURACY, state.valAcc, true, p.valAccuracy(), state, f);
        f.trends = trends;
        f.validationIssue = validation.observe(p, state, f);
        Verdict.Overfitting over = overfitting.observe(p, state, f);
        f.stability = stability.observe(p, state, f);
        Verdict.LearningRate lr = learningRate.observe(p, state, f);
        f.forecast = forecast.observe(p, state, f);
        Verdict.Plateau plat = plateau.observe(p, state, f);
        Verdict.Gradients grad = gradients.observe(p, state, f);
        unbounded.observe(p, state, f);
        Verdict.Throughput tp = throughput.observe(p, state, f);
        Verdict.EarlyStopping early = patience.observe(p, state, f);

        List<AlertChange> changes = alertBook.update(p.epoch(), f.conditions());
        if (!verdictWanted) {
            return new AnalysisResult(null, changes);
        }
        Verdict.Recommendation rec = Recommender.recommend(f, continueAdvice(trends, f.forecast));
        Integer best = state.bestEpoch >= 0 ? state.bestEpoch : null;
        Verdict verdict = new Verdict(p.epoch(), best, best != null ? state.bestVal : null,
                best != null ? state.sinceBest() : null, early, trends, over, plat, div, f.stability,
                grad == null ? Verdict.Gradients.NOT_MEASURED : grad,
                lr == null ? Verdict.LearningRate.NOT_MEASURED : lr,
                tp == null ? Verdict.Throughput.NOT_MEASURED : tp,
                f.forecast == null ? Verdict.Forecast.NOT_ASSESSED : f.forecast, patience.afterBest(),
                scores.score(over, f.stability, state, f.validationIssue), rec, alertBook.alerts(),
                f.notAssessedNotes());
        return new AnalysisResult(verdict, changes);
    }

    /** The last row of the priority table: continue, saying how the monitored loss is doing. */
    private Advice continueAdvice(Map<String, Verdict.Trend> trends, Verdict.Forecast fc) {
        Ring monitored = state.monitored();
        String name = state.monitoredName();
        Verdict.Trend t = state.val.size() > 0 ? trends.get(RunState.VAL_LOSS) : trends.get(RunState.TRAIN_LOSS);
        if (monitored.size() == 0) {
            return new Advice(Integer.MAX_VALUE, Verdict.CONTINUE, 0.3, () -> "Continue: no finite loss yet to judge the run"
                    + " by.");
        }
        if (t == null) {
            return new Advice(Integer.MAX_VALUE, Verdict.CONTINUE, 0.3, () -> "Continue: too few epochs to judge the trend"
                    + " yet.");
        }
        return new Advice(Integer.MAX_VALUE, Verdict.CONTINUE, Verdict.Trend.IMPROVING.equals(t.state()) ? 0.8 : 0.55,
                () -> {
                    String bestText = state.bestText();
                    return "Continue: " + name + " is " + t.state()
                            + (t.relativeSlope() != null ? " (" + Fmt.pct(t.relativeSlope()) + " per epoch)" : "")
                            + (bestText != null ? "; " + bestText : "")
                            + (fc != null && fc.finalValLoss() != null ? "; forecast " + Fmt.fmt(fc.finalValLoss())
                                    + " at epoch " + fc.atEpoch() : "") + ".";
                });
    }

    private static void putTrend(Map<String, Verdict.Trend> trends, String name, Ring ring, boolean higherIsBetter,
            Double current, RunState state, Findings f) {
        if (ring.size() == 0) {
            if (current == null) {
                f.notAssessed("trend." + name + ": not measured");
            }
            return;
        }
        if (ring.size() < 3) {
            f.notAssessed("trend." + name + ": fewer than 3 epochs");
            return;
        }
        trends.put(name, state.trend(ring, state.window, higherIsBetter));
    }

    private Verdict emptyVerdict() {
        return new Verdict(null, null, null, null, new Verdict.EarlyStopping(common.patience(), common.minDelta(), false), Map.of(),
                new Verdict.Overfitting(false, null, "none", null, null, null, null, null, null),
                new Verdict.Plateau(false, null, null, common.window(), false, false),
                new Verdict.Divergence(false, null, null, false, null), new Verdict.Stability(null, null, List.of()),
                Verdict.Gradients.NOT_MEASURED, Verdict.LearningRate.NOT_MEASURED, Verdict.Throughput.NOT_MEASURED,
                Verdict.Forecast.NOT_ASSESSED, Verdict.AfterBest.NOT_ASSESSED, new Verdict.Scores(null, null, null, null),
                new Verdict.Recommendation(Verdict.CONTINUE, 0.0, "Continue: no epochs yet.", List.of()), List.of(),
                List.of("everything: no epochs yet"));
    }
}
