package io.trainwatch.analysis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The analysis of one run, fed one epoch at a time. Everything it keeps is bounded by its windows (ring buffers) or
 * O(1) (best so far, running sums), never by the length of the run, so a 100,000-epoch run costs what a 100-epoch
 * run costs. It reads no clock and draws no random number: the verdict after epoch N depends on epochs 0..N only,
 * and {@link #replay} of those epochs gives the same verdict as feeding them one by one.
 *
 * <p>Not thread-safe: one analyzer per run, fed by one thread at a time (the caller serialises a run's epochs).
 */
public final class RunAnalyzer {

    /** Resolved alerts kept in the verdict besides the open ones, newest first. */
    public static final int MAX_RESOLVED_KEPT = 10;
    /** Volatile periods kept in the verdict, newest last. */
    public static final int MAX_VOLATILE_PERIODS = 8;

    static final String TRAIN_LOSS = "train_loss";
    static final String VAL_LOSS = "val_loss";
    static final String TRAIN_ACCURACY = "train_accuracy";
    static final String VAL_ACCURACY = "val_accuracy";

    private final AnalysisSettings settings;
    private final int patience;
    private final double minDelta;
    private final int window;
    private final int longWindow;
    private final double minRelSlope;
    private final double significance;
    private final double plateauRel;
    private final int lrGrace;
    private final double overfitRise;
    private final int overfitEpochs;
    private final double excursionFactor;
    private final double spikeRatio;
    private final int sustainedEpochs;
    private final double sustainedRise;
    private final double volatileCv;
    private final double oscillationLimit;
    private final double explodingNorm;
    private final double vanishingNorm;
    private final double imbalanceLimit;
    private final double clipFrequencyLimit;
    private final double throughputChange;
    private final int forecastWindow;
    private final int constantEpochs;
    private final double minConfidence;

    private int lastEpoch = -1;
    private Integer totalEpochs;

    private final Ring trainW;
    private final Ring valW;
    private final Ring trainAccW;
    private final Ring valAccW;
    private final Ring gradW;
    private final Ring durationW;
    private final Ring speedW;

    // Best validation loss (min_delta relative to the best).
    private double bestVal = Double.NaN;
    private int bestEpoch = -1;
    private double trainAtBest = Double.NaN;
    private double firstVal = Double.NaN;
    // Best training loss, the monitored series when there is no validation loss.
    private double bestTrain = Double.NaN;
    private double firstTrain = Double.NaN;
    // Best-so-far of the monitored loss over the last window + 1 epochs: the plateau compares its ends.
    private Ring bestHistory;
    private int plateauSince = -1;
    private boolean plateauOnVal;

    // Learning rate.
    private double lastLr = Double.NaN;
    private int lrChangeEpoch = -1;
    private double lrChangeRatio = Double.NaN;
    private double slopeBeforeLrChange = Double.NaN;
    private int lrDecreases;
    private int lrIncreases;
    private int lrChangeEpochs;
    private double lastLogRatio;

    // Divergence.
    private double trainEma = Double.NaN;
    private double valEma = Double.NaN;
    private double minTrainEma = Double.NaN;
    private int riseStreak;
    private String divKind;
    private Integer divEpoch;
    private String divSeries;
    private boolean divActive;
    /** First epoch of the current divergence event (a spike that turns into a sustained rise keeps its start). */
    private int divStart = -1;
    private boolean divRecovered;
    private double divRecoveryLevel = Double.NaN;
    private int spikeEpochs;

    // Stability.
    private final Deque<Verdict.Period> volatilePeriods = new ArrayDeque<>();
    private Integer volatileSince;

    // Overfitting.
    // The run's own noise, measured as its excursions: how far (median of 3, relative to the best) validation loss
    // rose above its best before a new best came. The largest recovered one says how high a rise can go and still
    // be noise for this run.
    private double excursion;
    private double maxRecoveredExcursion;

    // Validation soundness. The ratio of validation to training loss at the first epoch measuring both: far from 1
    // there, the two losses are on different scales (a summed loss, another loss function), and gaps mean nothing.
    private double firstScaleRatio = Double.NaN;
    private double prevValAcc = Double.NaN;
    private int valAccConstant;
    private int valAccZero;
    private double prevValLoss = Double.NaN;
    private int valLossConstant;

    // Gradients.
    private Verdict.Gradients lastGradients;
    private long prevGlobalStep = -1;

    // Compute after the best epoch.
    private double secondsSinceBest;
    private boolean durationsComplete = true;

    private final AlertBook alertBook;

    public RunAnalyzer(AnalysisSettings settings) {
        this.settings = settings == null ? AnalysisSettings.defaults() : settings;
        AnalysisSettings s = this.settings;
        patience = s.patience();
        minDelta = s.minDelta();
        window = Math.max(3, (int) Math.round(s.threshold("trend.window")));
        longWindow = 2 * window;
        minRelSlope = s.threshold("trend.min_relative_slope");
        significance = s.threshold("trend.significance");
        plateauRel = s.threshold("plateau.min_relative_improvement");
        lrGrace = (int) Math.round(s.threshold("plateau.lr_grace_epochs"));
        overfitRise = s.threshold("overfitting.min_rise");
        overfitEpochs = Math.max(1, (int) Math.round(s.threshold("overfitting.min_epochs")));
        excursionFactor = s.threshold("overfitting.excursion_factor");
        spikeRatio = s.threshold("divergence.spike_ratio");
        sustainedEpochs = Math.max(2, (int) Math.round(s.threshold("divergence.sustained_epochs")));
        sustainedRise = s.threshold("divergence.sustained_rise");
        volatileCv = s.threshold("stability.volatile_cv");
        oscillationLimit = s.threshold("stability.oscillation");
        explodingNorm = s.threshold("gradients.exploding");
        vanishingNorm = s.threshold("gradients.vanishing");
        imbalanceLimit = s.threshold("gradients.imbalance");
        clipFrequencyLimit = s.threshold("gradients.clip_frequency");
        throughputChange = s.threshold("throughput.change");
        forecastWindow = Math.max(4, (int) Math.round(s.threshold("forecast.window")));
        constantEpochs = Math.max(2, (int) Math.round(s.threshold("validation.constant_epochs")));
        minConfidence = s.threshold("recommendation.min_confidence");
        int cap = Math.max(longWindow, forecastWindow);
        trainW = new Ring(cap);
        valW = new Ring(cap);
        trainAccW = new Ring(cap);
        valAccW = new Ring(cap);
        gradW = new Ring(window);
        bestHistory = new Ring(window + 1);
        durationW = new Ring(window);
        speedW = new Ring(window);
        alertBook = new AlertBook(this.settings);
    }

    public AnalysisSettings settings() {
        return settings;
    }

    /**
     * Replays a history into a fresh analyzer and returns the result after its last epoch. The history is sorted by
     * epoch; of two points with the same epoch the later one in the list wins. An empty history gives a verdict that
     * says nothing could be assessed.
     */
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
        AnalysisResult last = null;
        for (EpochPoint p : byEpoch.values()) {
            last = analyzer.onEpoch(p);
        }
        return last == null ? new AnalysisResult(analyzer.emptyVerdict(), List.of()) : last;
    }

    /**
     * Takes the next epoch and returns the verdict after it with the alerts it opened or resolved.
     *
     * @throws IllegalArgumentException if the epoch is not after the last one (the caller then replays the history)
     */
    public AnalysisResult onEpoch(EpochPoint p) {
        if (p == null) {
            throw new IllegalArgumentException("epoch: must not be null");
        }
        if (p.epoch() <= lastEpoch) {
            throw new IllegalArgumentException("epoch: must be greater than the last analysed epoch " + lastEpoch
                    + ", was " + p.epoch() + "; replay the history instead");
        }
        int e = p.epoch();
        lastEpoch = e;
        if (p.totalEpochs() != null && p.totalEpochs() > 0) {
            totalEpochs = p.totalEpochs();
        }
        List<String> notAssessed = new ArrayList<>();
        Map<String, Condition> conditions = new LinkedHashMap<>();

        Double train = p.trainLoss();
        Double val = p.valLoss();
        boolean trainFinite = train != null && Double.isFinite(train);
        boolean valFinite = val != null && Double.isFinite(val);

        // Divergence is judged before the windows take the new value, against the smoothed past.
        updateDivergence(e, train, val, trainFinite, valFinite);

        if (trainFinite) {
            trainW.add(e, train);
            if (Double.isNaN(firstTrain)) {
                firstTrain = train;
            }
        }
        boolean improvedVal = false;
        if (valFinite) {
            valW.add(e, val);
            if (Double.isNaN(firstVal)) {
                firstVal = val;
            }
            if (Double.isNaN(bestVal) || bestVal - val > minDelta * Math.abs(bestVal)) {
                maxRecoveredExcursion = Math.max(maxRecoveredExcursion, excursion);
                excursion = 0;
                bestVal = val;
                bestEpoch = e;
                trainAtBest = trainFinite ? train : Double.NaN;
                improvedVal = true;
            }
        }
        if (trainFinite && (Double.isNaN(bestTrain) || bestTrain - train > minDelta * Math.abs(bestTrain))) {
            bestTrain = train;
        }
        if (valFinite && !improvedVal) {
            excursion = Math.max(excursion, (confirmedLevel(e - bestEpoch) - bestVal) / Math.abs(bestVal));
        }
        addFinite(trainAccW, e, p.trainAccuracy());
        addFinite(valAccW, e, p.valAccuracy());
        updatePlateauHistory(e, valFinite, trainFinite);
        updateLearningRate(e, p.learningRate());
        updateValidationSoundness(p);
        updateCompute(p, improvedVal);
        if (p.durationMs() != null) {
            durationW.add(e, p.durationMs());
        }
        addFinite(speedW, e, p.samplesPerSecond());

        // Trends.
        Map<String, Verdict.Trend> trends = new LinkedHashMap<>();
        putTrend(trends, TRAIN_LOSS, trainW, false, p.trainLoss(), notAssessed);
        putTrend(trends, VAL_LOSS, valW, false, p.valLoss(), notAssessed);
        putTrend(trends, TRAIN_ACCURACY, trainAccW, true, p.trainAccuracy(), notAssessed);
        putTrend(trends, VAL_ACCURACY, valAccW, true, p.valAccuracy(), notAssessed);

        Ring monitored = valW.size() > 0 ? valW : trainW;
        String monitoredName = valW.size() > 0 ? "validation loss" : "training loss";

        Verdict.Divergence divergence = new Verdict.Divergence(divActive, divKind, divEpoch, divRecovered, divSeries);
        String validationIssue = validationIssue();
        Verdict.Overfitting overfitting = overfitting(e, notAssessed, validationIssue);
        Verdict.Stability stability = stability(e, monitored, notAssessed);
        Verdict.LearningRate learningRate = learningRateVerdict(e, notAssessed);
        Verdict.Plateau plateau = plateau(e, monitored, trends, stability, notAssessed);
        Verdict.Gradients gradients = gradients(p, notAssessed);
        Verdict.Throughput throughput = throughput(e, notAssessed);
        Verdict.Forecast forecast = forecast(e, notAssessed);

        Integer best = bestEpoch >= 0 ? bestEpoch : null;
        Integer since = bestEpoch >= 0 ? e - bestEpoch : null;
        if (best == null) {
            notAssessed.add("best epoch: no validation loss");
        }
        Verdict.EarlyStopping earlyStopping = new Verdict.EarlyStopping(patience, minDelta,
                since != null && since >= patience);
        Verdict.AfterBest afterBest = best == null ? Verdict.AfterBest.NOT_ASSESSED
                : new Verdict.AfterBest(since, durationsComplete ? round(secondsSinceBest) : null);
        if (best != null && !durationsComplete) {
            notAssessed.add(durationW.size() == 0 ? "after_best.compute_seconds: no duration_ms"
                    : "after_best.compute_seconds: duration_ms missing for some epochs");
        }
        Verdict.Scores scores = scores(overfitting, stability, monitored, validationIssue);

        Recommendation rec = recommend(e, p, trends, divergence, overfitting, plateau, gradients, stability,
                forecast, validationIssue, monitored, monitoredName, conditions);
        List<AlertChange> changes = alertBook.update(e, conditions);

        Verdict verdict = new Verdict(e, best, bestEpoch >= 0 ? bestVal : null, since, earlyStopping, trends,
                overfitting, plateau, divergence, stability,
                gradients == null ? Verdict.Gradients.NOT_MEASURED : gradients,
                learningRate == null ? Verdict.LearningRate.NOT_MEASURED : learningRate,
                throughput == null ? Verdict.Throughput.NOT_MEASURED : throughput,
                forecast == null ? Verdict.Forecast.NOT_ASSESSED : forecast, afterBest, scores, rec.recommendation,
                alertBook.alerts(), notAssessed);
        return new AnalysisResult(verdict, changes);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Updates of the bounded state

    private static void addFinite(Ring ring, int epoch, Double value) {
        if (value != null && Double.isFinite(value)) {
            ring.add(epoch, value);
        }
    }

    private void updatePlateauHistory(int e, boolean valFinite, boolean trainFinite) {
        boolean onVal = valW.size() > 0;
        if (onVal != plateauOnVal && onVal) {
            // Validation appeared: the plateau is judged on it from now on.
            bestHistory = new Ring(window + 1);
            plateauSince = -1;
            plateauOnVal = true;
        }
        if (onVal ? !valFinite : !trainFinite) {
            return;
        }
        // The plateau compares confirmed levels (median of 3), not raw minima: one lucky low epoch would otherwise
        // make ten epochs of real progress look like less than the threshold.
        Ring m = onVal ? valW : trainW;
        double level = m.median(Math.min(3, m.size()));
        double previous = bestHistory.size() == 0 ? Double.POSITIVE_INFINITY : bestHistory.lastY();
        bestHistory.add(e, Math.min(previous, level));
    }

    private void updateLearningRate(int e, Double lr) {
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
                Ring m = valW.size() > 0 ? valW : trainW;
                Ring.Fit f = m.fit(window);
                slopeBeforeLrChange = f == null ? Double.NaN : f.slope();
                lrChangeEpoch = e;
                lrChangeRatio = ratio;
            }
            lastLogRatio = logRatio;
        } else if (!Double.isNaN(lastLr)) {
            lastLogRatio = 0;
        }
        lastLr = lr;
    }

    private void updateValidationSoundness(EpochPoint p) {
        Double acc = p.valAccuracy();
        if (acc != null && Double.isFinite(acc)) {
            valAccZero = acc == 0.0 ? valAccZero + 1 : 0;
            valAccConstant = acc.doubleValue() == prevValAcc ? valAccConstant + 1 : 0;
            prevValAcc = acc;
        }
        Double vl = p.valLoss();
        if (vl != null && Double.isFinite(vl)) {
            valLossConstant = vl.doubleValue() == prevValLoss ? valLossConstant + 1 : 0;
            prevValLoss = vl;
        }
    }

    private void updateCompute(EpochPoint p, boolean improvedVal) {
        if (improvedVal) {
            secondsSinceBest = 0;
            durationsComplete = true;
            return;
        }
        if (bestEpoch < 0) {
            return;
        }
        if (p.durationMs() == null) {
            durationsComplete = false;
        } else {
            secondsSinceBest += p.durationMs() / 1000.0;
        }
    }

    private void updateDivergence(int e, Double train, Double val, boolean trainFinite, boolean valFinite) {
        double alpha = 2.0 / (window + 1);
        double valEmaBefore = valEma;
        if (valFinite) {
            // The validation EMA is kept whatever the monitored series: it is the recovery level of a NaN validation.
            valEma = Double.isNaN(valEma) ? val : valEma + alpha * (val - valEma);
        }
        // Non-finite first: critical at once, on either loss.
        String nonFinite = null;
        String series = null;
        if (train != null && !trainFinite) {
            nonFinite = Double.isNaN(train) ? Verdict.Divergence.NAN : Verdict.Divergence.INF;
            series = TRAIN_LOSS;
        } else if (val != null && !valFinite) {
            nonFinite = Double.isNaN(val) ? Verdict.Divergence.NAN : Verdict.Divergence.INF;
            series = VAL_LOSS;
        }
        if (nonFinite != null) {
            if (!divActive) {
                divStart = e;
            }
            if (!divActive || !nonFinite.equals(divKind)) {
                double ema = TRAIN_LOSS.equals(series) ? trainEma : valEmaBefore;
                divRecoveryLevel = Double.isNaN(ema) ? Double.NaN : ema + 0.25 * Math.abs(ema);
            }
            divKind = nonFinite;
            divEpoch = e;
            divSeries = series;
            divActive = true;
            divRecovered = false;
            riseStreak = 0;
            return;
        }
        // A NaN/Inf event ends when its own series is finite again and back under the level it had before.
        boolean nonFiniteEvent = divActive && (Verdict.Divergence.NAN.equals(divKind)
                || Verdict.Divergence.INF.equals(divKind));
        if (nonFiniteEvent && VAL_LOSS.equals(divSeries) && valFinite) {
            if (Double.isNaN(divRecoveryLevel) || val <= divRecoveryLevel) {
                divActive = false;
                divRecovered = true;
            }
            nonFiniteEvent = divActive;
        }
        // Spikes and sustained rise are judged on the training loss, the one the optimiser drives; validation
        // spikes are noise of the held-out set and count toward stability instead. Without a training loss, on
        // the validation loss.
        boolean useTrain = train != null || trainW.size() > 0;
        boolean finite = useTrain ? trainFinite : valFinite;
        if (!finite) {
            return;
        }
        double v = useTrain ? train : val;
        double ema = useTrain ? trainEma : valEmaBefore;
        String name = useTrain ? TRAIN_LOSS : VAL_LOSS;
        int seen = useTrain ? trainW.size() : valW.size();

        if (divActive && !(nonFiniteEvent && !name.equals(divSeries))) {
            // Recovered once the loss is back under the level it had before the event.
            if (Double.isNaN(divRecoveryLevel) || v <= divRecoveryLevel) {
                divActive = false;
                divRecovered = true;
                spikeEpochs = 0;
            } else if (Verdict.Divergence.SPIKE.equals(divKind)) {
                spikeEpochs++;
                if (spikeEpochs >= sustainedEpochs) {
                    divKind = Verdict.Divergence.SUSTAINED_RISE;
                    divEpoch = e;
                }
            }
        } else if (!divActive && seen >= 2 && !Double.isNaN(ema) && v - ema >= (spikeRatio - 1) * Math.abs(ema)) {
            divStart = e;
            divKind = Verdict.Divergence.SPIKE;
            divEpoch = e;
            divSeries = name;
            divActive = true;
            divRecovered = false;
            divRecoveryLevel = ema + 0.25 * (v - ema);
            spikeEpochs = 0;
        }

        if (useTrain) {
            // Smoothed level: an EMA with the span of the trend window.
            double newEma = Double.isNaN(trainEma) ? v : trainEma + alpha * (v - trainEma);
            if (!Double.isNaN(trainEma) && newEma > trainEma) {
                riseStreak++;
            } else {
                riseStreak = 0;
            }
            trainEma = newEma;
            minTrainEma = Double.isNaN(minTrainEma) ? newEma : Math.min(minTrainEma, newEma);
            if (!divActive && riseStreak >= sustainedEpochs
                    && newEma - minTrainEma >= sustainedRise * Math.abs(minTrainEma)) {
                divStart = e;
                divKind = Verdict.Divergence.SUSTAINED_RISE;
                divEpoch = e;
                divSeries = name;
                divActive = true;
                divRecovered = false;
                divRecoveryLevel = minTrainEma + 0.5 * sustainedRise * Math.abs(minTrainEma);
            }
        }
    }

    /** Validation epochs needed before any stop advice: a rise in the first epochs is too often warm-up. */
    private int minStopHistory() {
        return Math.max(5, window / 2);
    }


    /**
     * The validation level since the best, confirmed by more than one epoch: nothing after one epoch, the lower of
     * two, the median of the last three. A single spike never counts as a rise.
     */
    private double confirmedLevel(int epochsSinceBest) {
        int k = Math.min(epochsSinceBest, valW.size());
        if (k < 2) {
            return bestVal;
        }
        if (k == 2) {
            return Math.min(valW.y(valW.size() - 1), valW.y(valW.size() - 2));
        }
        return valW.median(3);
    }


    // ----------------------------------------------------------------------------------------------------------
    // Rules

    private void putTrend(Map<String, Verdict.Trend> trends, String name, Ring ring, boolean higherIsBetter,
            Double current, List<String> notAssessed) {
        if (ring.size() == 0) {
            if (current == null) {
                notAssessed.add("trend." + name + ": not measured");
            }
            return;
        }
        if (ring.size() < 3) {
            notAssessed.add("trend." + name + ": fewer than 3 epochs");
            return;
        }
        trends.put(name, trend(ring, window, higherIsBetter));
    }

    /** Trend state of the newest {@code n} points: a least-squares slope judged against its own noise. */
    private Verdict.Trend trend(Ring ring, int n, boolean higherIsBetter) {
        Ring.Fit f = ring.fit(n);
        if (f == null) {
            return new Verdict.Trend(Verdict.Trend.PLATEAUED, 0.0, 0.0);
        }
        double level = Math.abs(f.meanY());
        double rel = level > 0 ? f.slope() / level : 0;
        String state;
        boolean significant = f.tStat() >= significance && Math.abs(rel) >= minRelSlope;
        if (significant) {
            boolean better = higherIsBetter ? f.slope() > 0 : f.slope() < 0;
            state = better ? Verdict.Trend.IMPROVING : Verdict.Trend.WORSENING;
        } else if (level > 0 && f.residualSd() / level > volatileCv) {
            state = Verdict.Trend.UNSTABLE;
        } else if (Math.abs(rel) < minRelSlope || f.n() >= 5) {
            state = Verdict.Trend.PLATEAUED;
        } else {
            state = Verdict.Trend.UNSTABLE;
        }
        return new Verdict.Trend(state, round(f.slope()), round(rel));
    }

    private String validationIssue() {
        if (valAccZero >= constantEpochs && trainW.size() >= constantEpochs) {
            return "validation accuracy is exactly 0 for " + valAccZero
                    + " epochs: the validation set or its labels look broken";
        }
        // A small validation set can give the same accuracy a few epochs running; twice the window is not chance.
        if (valAccConstant + 1 >= 2 * constantEpochs && trainW.size() >= constantEpochs
                && trainImprovedOver(constantEpochs)) {
            return "validation accuracy is exactly constant for " + (valAccConstant + 1)
                    + " epochs while training loss falls: the validation set looks frozen or mismatched";
        }
        if (valLossConstant + 1 >= constantEpochs + 1 && trainImprovedOver(constantEpochs)) {
            return "validation loss is exactly constant for " + (valLossConstant + 1)
                    + " epochs while training loss falls: validation is not being recomputed";
        }
        return null;
    }

    private boolean trainImprovedOver(int n) {
        if (trainW.size() < 2) {
            return false;
        }
        int k = Math.min(n + 1, trainW.size());
        double old = trainW.y(trainW.size() - k);
        double now = trainW.lastY();
        return old - now > plateauRel * Math.abs(old);
    }

    private Verdict.Overfitting overfitting(int e, List<String> notAssessed, String validationIssue) {
        if (valW.size() == 0) {
            notAssessed.add("overfitting: no validation loss");
            return new Verdict.Overfitting(false, null, "none", null, null, null, null, null, validationIssue);
        }
        if (trainW.size() == 0) {
            notAssessed.add("overfitting: no training loss");
            return new Verdict.Overfitting(false, null, "none", null, null, null, null, null, validationIssue);
        }
        int n = Math.min(window, Math.min(valW.size(), trainW.size()));
        double valNow = valW.median(3);
        double trainNow = trainW.median(3);
        if (Double.isNaN(firstScaleRatio) && trainW.lastX() == valW.lastX() && trainW.lastY() != 0) {
            firstScaleRatio = Math.abs(valW.lastY() / trainW.lastY());
        }
        boolean sameScale = !(firstScaleRatio > 3 || firstScaleRatio < 1.0 / 3);
        double gap = sameScale ? valNow - trainNow : Double.NaN;
        double gapRel = sameScale && valNow != 0 ? gap / Math.abs(valNow) : Double.NaN;
        if (!sameScale) {
            notAssessed.add("overfitting.gap: validation and training loss on different scales (ratio "
                    + fmt(firstScaleRatio) + " at the first epoch)");
        }
        Double gapSlope = null;
        Double correlation = null;
        if (n >= 3) {
            Ring.Fit vf = valW.fit(n);
            Ring.Fit tf = trainW.fit(n);
            if (vf != null && tf != null) {
                gapSlope = round(vf.slope() - tf.slope());
            }
            correlation = diffCorrelation(n);
        }
        int since = e - bestEpoch;
        boolean detected = false;
        double confidence = 0;
        String severity = "none";
        double rise = (confirmedLevel(e - bestEpoch) - bestVal) / Math.abs(bestVal);
        if (validationIssue != null) {
            notAssessed.add("overfitting: validation set looks broken");
        } else if (valW.size() < 3) {
            notAssessed.add("overfitting: fewer than 3 validation epochs");
        } else if (since >= overfitEpochs && rise >= overfitRise && valW.size() >= 5) {
            // Validation has risen above its best; is it a rise, or the run's own noise? Every one of the last
            // min_epochs values must sit above the best by more than the run's noise (robust, from its own
            // epoch-to-epoch changes), so one spike or a wobbling plateau does not count.
            double noise = valW.diffNoise(longWindow);
            int m = Math.min(overfitEpochs, since);
            double floor = Double.POSITIVE_INFINITY;
            for (int i = valW.size() - m; i < valW.size(); i++) {
                floor = Math.min(floor, valW.y(i));
            }
            double excessFloor = floor - bestVal;
            boolean sustained = excessFloor > 0 && (Double.isNaN(noise) || excessFloor > noise);
            Ring.Fit trainFit = trainW.fit(Math.min(trainW.size(), Math.max(3, since + 1)));
            boolean trainFalling = !Double.isNaN(trainAtBest) && trainNow < trainAtBest
                    || trainFit != null && trainFit.slope() < 0;
            // The run has shown how far validation can rise and still come back: a rise only counts fully when it
            // clearly exceeds that.
            boolean beyondOwnNoise = rise > excursionFactor * maxRecoveredExcursion;
            // Since the best, validation must be going up, not merely sitting above a lucky low: the slope over
            // those epochs positive by at least half a standard error.
            Ring.Fit sinceBest = valW.fit(Math.min(valW.size(), Math.min(since + 1, longWindow)));
            boolean risingSinceBest = sinceBest != null && sinceBest.slope() > 0 && sinceBest.tStat() >= 0.5;
            // A jump that is already coming back down (the newest value the lowest since the best, after at least
            // two epochs) is a spike recovering, not a rise: early in a noisy run that is what a jump looks like.
            boolean receding = since >= 2 && valW.lastY() < minSinceBestBeforeNewest(since);
            if (sustained && trainFalling) {
                detected = true;
                severity = rise >= 0.2 ? "severe" : rise >= 0.05 ? "moderate" : "mild";
                double evidenceEpochs = Math.min(1.0, since / (double) patience);
                double evidenceRise = Math.min(1.0, Math.log(rise / overfitRise) / Math.log(10));
                double evidenceNoise = Double.isNaN(noise) || noise == 0 ? 1.0
                        : Math.min(1.0, (excessFloor / noise - 1) / 3);
                double evidenceHistory = Math.min(1.0, valW.size() / (double) window);
                double evidenceExcursion = maxRecoveredExcursion == 0 ? 1.0
                        : Math.min(1.0, rise / (excursionFactor * maxRecoveredExcursion) - 1);
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
        return new Verdict.Overfitting(detected, detected ? bestEpoch + 1 : null, severity, round(gap), round(gapRel),
                gapSlope, correlation, round(confidence), validationIssue);
    }

    /** The lowest validation loss after the best epoch, not counting the newest one. */
    private double minSinceBestBeforeNewest(int since) {
        int k = Math.min(since, valW.size() - 1);
        double min = Double.POSITIVE_INFINITY;
        for (int i = valW.size() - k; i < valW.size() - 1; i++) {
            min = Math.min(min, valW.y(i));
        }
        return min;
    }

    /** Pearson correlation of the epoch-to-epoch changes of train and validation loss over the newest epochs. */
    private Double diffCorrelation(int n) {
        // Pair by position among the newest values; both rings hold the same epochs when both are measured.
        int k = Math.min(n, Math.min(valW.size(), trainW.size()));
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
            int vi = valW.size() - k + i;
            int ti = trainW.size() - k + i;
            if (valW.x(vi) != trainW.x(ti)) {
                return null;
            }
            double dv = valW.y(vi) - valW.y(vi - 1);
            double dt = trainW.y(ti) - trainW.y(ti - 1);
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
        return round(cov / Math.sqrt(vx * vy));
    }

    private Verdict.Stability stability(int e, Ring monitored, List<String> notAssessed) {
        if (monitored.size() < 5) {
            notAssessed.add("stability: fewer than 5 epochs of loss");
            return new Verdict.Stability(null, null, List.copyOf(volatilePeriods));
        }
        Ring.Fit f = monitored.fit(window);
        double level = Math.abs(f.meanY());
        double cv = level > 0 ? f.residualSd() / level : 0;
        double osc = monitored.oscillation(window);
        if (volatileSince == null && cv > volatileCv) {
            volatileSince = e;
            if (volatilePeriods.size() == MAX_VOLATILE_PERIODS) {
                volatilePeriods.removeFirst();
            }
            volatilePeriods.addLast(new Verdict.Period(e, null));
        } else if (volatileSince != null && cv <= 0.8 * volatileCv) {
            volatilePeriods.removeLast();
            volatilePeriods.addLast(new Verdict.Period(volatileSince, e));
            volatileSince = null;
        }
        return new Verdict.Stability(round(cv), round(osc), List.copyOf(volatilePeriods));
    }

    private Verdict.LearningRate learningRateVerdict(int e, List<String> notAssessed) {
        if (Double.isNaN(lastLr)) {
            notAssessed.add("learning_rate: not measured");
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
            Ring m = valW.size() > 0 ? valW : trainW;
            if (sinceChange < 3) {
                effect = "pending";
            } else {
                Ring.Fit f = m.fit(Math.min(sinceChange + 1, m.size()));
                if (f != null) {
                    after = f.slope();
                    double level = Math.abs(f.meanY());
                    double relAfter = level > 0 ? after / level : 0;
                    if (relAfter > minRelSlope && f.tStat() >= significance) {
                        effect = "worsened";
                    } else if (!Double.isNaN(slopeBeforeLrChange) && after < slopeBeforeLrChange
                            && relAfter < -minRelSlope) {
                        effect = "improved";
                    } else {
                        effect = "no_effect";
                    }
                }
            }
        }
        return new Verdict.LearningRate(round(lastLr), lrChangeEpoch >= 0 ? lrChangeEpoch : null,
                round(lrChangeRatio), round(slopeBeforeLrChange), round(after == null ? Double.NaN : after), effect,
                schedule);
    }

    /**
     * Epochs since the best before a plateau advises stopping: a convergence (training loss flat too) is already
     * confirmed by the plateau window itself, so half the patience; a stall with training still learning gets the
     * full patience, since validation often follows late.
     */
    private int plateauStopEpochs(Verdict.Plateau plateau) {
        int full = Math.min(patience, window);
        return plateau.converged() ? Math.max(overfitEpochs, full / 2) : full;
    }

    /**
     * Whether the loss still falls over two windows, by least squares or by the robust trend: a patience stop
     * needs neither (computed only when a patience stop is on the table; the robust trend costs O(n²)).
     */
    private boolean longImproving(Ring monitored) {
        if (monitored.size() < 3) {
            return false;
        }
        return Verdict.Trend.IMPROVING.equals(trend(monitored, longWindow, false).state())
                || robustlyImproving(monitored, longWindow);
    }

    /** Falling by the robust trend: Mann-Kendall z below -significance and a Theil-Sen slope that matters. */
    private boolean robustlyImproving(Ring ring, int n) {
        double[] t = ring.robustTrend(n);
        if (t == null) {
            return false;
        }
        double level = Math.abs(ring.median(Math.min(n, ring.size())));
        return t[1] <= -significance && level > 0 && t[0] / level <= -minRelSlope;
    }

    private boolean lrChangedRecently(int e) {
        return lrChangeEpoch >= 0 && e - lrChangeEpoch < lrGrace;
    }

    private Verdict.Plateau plateau(int e, Ring monitored, Map<String, Verdict.Trend> trends,
            Verdict.Stability stability, List<String> notAssessed) {
        if (monitored.size() < 3 || bestHistory.size() == 0) {
            notAssessed.add("plateau: fewer than 3 epochs of loss");
            return new Verdict.Plateau(false, null, null, window, lrChangedRecently(e), false);
        }
        double then = bestHistory.y(0);
        double best = bestHistory.lastY();
        double rel = then == 0 ? 0 : (then - best) / Math.abs(then);
        boolean recentLr = lrChangedRecently(e);
        boolean flat = bestHistory.size() == bestHistory.capacity() && rel < plateauRel;
        // A noisy run can go a window without a 2 % better best while its level still falls: neither the window's
        // trend nor the robust trend over two windows may be improving.
        boolean stillImproving = flat && (Verdict.Trend.IMPROVING.equals(trend(monitored, window, false).state())
                || stability.cv() != null && stability.cv() > volatileCv / 2
                        && Verdict.Trend.IMPROVING.equals(trend(monitored, longWindow, false).state()));
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
            double first = monitored == valW ? firstVal : firstTrain;
            boolean learned = first - best > 0.1 * Math.abs(first);
            Verdict.Trend t = trends.get(TRAIN_LOSS);
            boolean trainFlat = t == null || !Verdict.Trend.IMPROVING.equals(t.state());
            converged = learned && trainFlat;
        }
        return new Verdict.Plateau(detected, detected ? plateauSince : null, round(rel), window, recentLr, converged);
    }

    private Verdict.Gradients gradients(EpochPoint p, List<String> notAssessed) {
        boolean measured = p.gradNorm() != null || p.gradNormMax() != null || p.layerGradNorms() != null
                || p.clippedSteps() != null;
        if (!measured) {
            if (lastGradients == null) {
                notAssessed.add("gradients: not measured");
            }
            if (p.globalStep() != null) {
                prevGlobalStep = p.globalStep();
            }
            return lastGradients;
        }
        Double norm = p.gradNorm();
        double judged = norm != null ? norm : Double.NaN;
        double peak = p.gradNormMax() != null ? p.gradNormMax() : judged;
        if (norm != null && Double.isFinite(norm)) {
            gradW.add(p.epoch(), norm);
        }
        boolean exploding = norm != null && (!Double.isFinite(norm) || norm > explodingNorm)
                || p.gradNormMax() != null && !Double.isNaN(peak) && (Double.isInfinite(peak) || peak > explodingNorm);
        boolean vanishing = norm != null && Double.isFinite(norm) && norm < vanishingNorm && norm >= 0;
        List<String> dead = new ArrayList<>();
        Double ratio = null;
        boolean imbalance = false;
        Map<String, Double> layers = p.layerGradNorms();
        if (layers != null && !layers.isEmpty()) {
            double max = 0;
            double min = Double.POSITIVE_INFINITY;
            for (Map.Entry<String, Double> l : layers.entrySet()) {
                Double v = l.getValue();
                if (v == null || !Double.isFinite(v)) {
                    continue;
                }
                if (v == 0) {
                    dead.add(l.getKey());
                } else {
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
            }
            dead.sort(Comparator.naturalOrder());
            if (max > 0 && min < Double.POSITIVE_INFINITY) {
                ratio = round(max / min);
                imbalance = max / min > imbalanceLimit;
            }
        } else {
            notAssessed.add("gradients.dead_layers: no per-layer norms");
        }
        Double clipFrequency = null;
        if (p.clippedSteps() != null && p.globalStep() != null && prevGlobalStep >= 0
                && p.globalStep() > prevGlobalStep) {
            clipFrequency = round(Math.min(1.0, p.clippedSteps() / (double) (p.globalStep() - prevGlobalStep)));
        }
        if (p.globalStep() != null) {
            prevGlobalStep = p.globalStep();
        }
        Double suggested = gradW.size() >= 3 ? round(2 * gradW.median(gradW.size())) : null;
        lastGradients = new Verdict.Gradients(norm == null || !Double.isFinite(norm) ? null : round(norm), exploding,
                vanishing, dead, imbalance, ratio, clipFrequency, suggested);
        return lastGradients;
    }

    private Verdict.Throughput throughput(int e, List<String> notAssessed) {
        if (durationW.size() == 0 && speedW.size() == 0) {
            notAssessed.add("throughput: no duration_ms or samples_per_second");
            return null;
        }
        Double sps = speedW.size() > 0 ? round(speedW.lastY()) : null;
        String trend = null;
        if (speedW.size() >= 3) {
            Ring.Fit f = speedW.fit(speedW.size());
            double level = Math.abs(f.meanY());
            double change = level > 0 ? f.slope() * (speedW.size() - 1) / level : 0;
            trend = change > throughputChange ? "rising" : change < -throughputChange ? "falling" : "stable";
        } else if (durationW.size() >= 3) {
            Ring.Fit f = durationW.fit(durationW.size());
            double level = Math.abs(f.meanY());
            double change = level > 0 ? f.slope() * (durationW.size() - 1) / level : 0;
            trend = change > throughputChange ? "falling" : change < -throughputChange ? "rising" : "stable";
        }
        Double epochSeconds = durationW.size() > 0 ? round(durationW.meanLast(durationW.size()) / 1000.0) : null;
        Double eta = null;
        if (epochSeconds != null && totalEpochs != null) {
            int remaining = Math.max(0, totalEpochs - 1 - e);
            eta = round(remaining * epochSeconds);
        } else if (totalEpochs == null) {
            notAssessed.add("throughput.eta_seconds: total_epochs unknown");
        }
        return new Verdict.Throughput(sps, trend, epochSeconds, eta);
    }

    /**
     * Forecast of the validation loss at the last configured epoch (or a window ahead): the recent slope, damped
     * geometrically at the rate the improvement itself has been slowing (ratio of the slopes of the two halves of
     * the window), so a decelerating curve levels off instead of falling forever.
     */
    private Verdict.Forecast forecast(int e, List<String> notAssessed) {
        Ring r = valW;
        if (r.size() < 6) {
            notAssessed.add(valW.size() == 0 ? "forecast: no validation loss" : "forecast: fewer than 6 validation epochs");
            return null;
        }
        int n = Math.min(forecastWindow, r.size());
        Ring.Fit all = r.fit(n);
        Ring.Fit older = fitRange(r, r.size() - n, r.size() - n / 2);
        Ring.Fit newer = r.fit(n - n / 2);
        if (all == null || older == null || newer == null) {
            return null;
        }
        int horizon = totalEpochs != null ? Math.max(0, totalEpochs - 1 - e) : window;
        int atEpoch = e + horizon;
        double lastX = r.lastX();
        double level = newer.at(lastX);
        double damping = 0.9;
        if (older.slope() < 0 && newer.slope() < 0 && newer.slope() > older.slope()) {
            // Exponential decay: the slope shrinks by the same factor every epoch; measure it between the halves.
            double distance = Math.max(1.0, newer.meanX() - older.meanX());
            damping = Math.pow(newer.slope() / older.slope(), 1.0 / distance);
        }
        damping = Math.max(0.0, Math.min(0.98, damping));
        // The slope now (the newer half's slope is centred mid-half), then the geometric sum of what is left.
        double slopeNow = newer.slope() * Math.pow(damping, lastX - newer.meanX());
        double steps = damping * (1 - Math.pow(damping, horizon)) / (1 - damping);
        double fin = level + slopeNow * steps;
        // An 80 % interval: the recent noise at the z of an 80 % normal interval (1.2 ≈ 1.28, rounded down since
        // the noise term is already widened with the horizon), a share of the projected change for the uncertainty
        // of the decay rate, and a share of the level that shrinks with the part of the run still ahead (a forecast
        // from a quarter of a run misses by ~12 % in the median, from three quarters by ~3 %). The three weights are
        // global, fitted once on the real-curves corpus so the interval covers the truth in 76-86 % of runs at 25,
        // 50 and 75 % of a run (docs/analysis.md).
        double ahead = horizon / (double) (e + 1 + horizon);
        double spread = 1.2 * newer.residualSd() * Math.sqrt(1 + steps / n) + 0.3 * Math.abs(slopeNow * steps)
                + 0.35 * Math.abs(fin) * ahead * ahead;
        double low = fin - spread;
        double high = fin + spread;
        double gain = bestVal - fin;
        return new Verdict.Forecast(round(fin), round(low), round(high), round(gain), atEpoch, "damped_geometric");
    }

    private static Ring.Fit fitRange(Ring r, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return null;
        }
        double mx = 0;
        double my = 0;
        for (int i = from; i < to; i++) {
            mx += r.x(i);
            my += r.y(i);
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        for (int i = from; i < to; i++) {
            sxx += (r.x(i) - mx) * (r.x(i) - mx);
            sxy += (r.x(i) - mx) * (r.y(i) - my);
        }
        if (sxx == 0) {
            return null;
        }
        return new Ring.Fit(sxy / sxx, my, mx, 0, 0, n);
    }

    private Verdict.Scores scores(Verdict.Overfitting o, Verdict.Stability s, Ring monitored,
            String validationIssue) {
        Double overfit = null;
        Double generalisation = null;
        if (valW.size() > 0 && trainW.size() > 0 && validationIssue == null) {
            double rise = Math.max(0, (valW.median(3) - bestVal) / Math.abs(bestVal));
            double score = o.detected() ? 0.5 + 0.5 * clamp(rise / 0.2) : 0.5 * clamp(rise / (2 * overfitRise));
            overfit = round(score);
            if (o.gapRel() != null) {
                generalisation = round(1 - clamp(Math.max(0, o.gapRel())));
            }
        }
        Double convergence = null;
        if (monitored.size() >= 3) {
            Ring.Fit f = monitored.fit(window);
            double level = Math.abs(f.meanY());
            double rel = level > 0 ? Math.abs(f.slope()) / level : 0;
            convergence = round(1 - clamp(rel / (10 * minRelSlope)));
        }
        Double stability = s.cv() == null ? null : round(1 - clamp(s.cv() / (2 * volatileCv)));
        return new Verdict.Scores(overfit, convergence, stability, generalisation);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Recommendation and alerts

    private record Recommendation(Verdict.Recommendation recommendation) {
    }

    private Recommendation recommend(int e, EpochPoint p, Map<String, Verdict.Trend> trends,
            Verdict.Divergence divergence, Verdict.Overfitting overfitting, Verdict.Plateau plateau,
            Verdict.Gradients gradients, Verdict.Stability stability, Verdict.Forecast forecast,
            String validationIssue, Ring monitored, String monitoredName, Map<String, Condition> conditions) {
        List<Verdict.Evidence> evidence = new ArrayList<>();
        String action = Verdict.CONTINUE;
        double confidence = 0.5;
        String reason = null;
        String bestText = bestEpoch >= 0 ? "best was epoch " + bestEpoch + " (" + fmt(bestVal) + ")" : null;

        // Divergence.
        if (divergence.detected()) {
            String kind = divergence.kind();
            boolean nonFinite = Verdict.Divergence.NAN.equals(kind) || Verdict.Divergence.INF.equals(kind);
            String series = TRAIN_LOSS.equals(divergence.series()) ? "training loss" : "validation loss";
            String alertKind = "divergence." + kind;
            evidence.add(new Verdict.Evidence("divergence." + kind,
                    params("spike_ratio", spikeRatio, "sustained_epochs", sustainedEpochs, "sustained_rise",
                            sustainedRise),
                    params("series", divergence.series(), "epoch", divergence.epoch())));
            if (nonFinite) {
                conditions.put(alertKind, new Condition(Alert.CRITICAL,
                        () -> capitalise(series) + " became " + (kind.equals("nan") ? "NaN" : "infinite") + " at epoch "
                                + divergence.epoch() + "."));
                action = Verdict.STOP;
                confidence = 0.95;
                reason = "Stop: " + series + " became " + (kind.equals("nan") ? "NaN" : "infinite") + " at epoch "
                        + divergence.epoch() + "; the run has diverged"
                        + (bestText != null ? "; " + bestText : "") + ".";
            } else if (Verdict.Divergence.SUSTAINED_RISE.equals(kind)) {
                conditions.put(alertKind, new Condition(Alert.CRITICAL,
                        () -> capitalise(series) + " has kept rising since epoch " + divergence.epoch() + "."));
                if (e - divStart >= patience) {
                    // The advice to reduce the rate has stood a whole patience without the loss coming back: this
                    // run will not recover by itself; its compute is better spent on a restart.
                    action = Verdict.STOP;
                    confidence = 0.85;
                    reason = "Stop: " + series + " diverged at epoch " + divStart + " and has not recovered in "
                            + (e - divStart) + " epochs; restart from the best checkpoint with a lower learning rate"
                            + (bestText != null ? "; " + bestText : "") + ".";
                } else {
                    action = Verdict.REDUCE_LR;
                    confidence = 0.8;
                    reason = "Reduce the learning rate: " + series + " has kept rising (sustained divergence since"
                            + " epoch " + divergence.epoch() + ")" + (bestText != null ? "; " + bestText : "") + ".";
                }
            } else {
                conditions.put(alertKind, new Condition(Alert.WARNING, () -> capitalise(series) + " spiked to at least "
                        + fmt(spikeRatio) + "× its smoothed value at epoch " + divergence.epoch() + "."));
                reason = "Continue, watching: " + series + " spiked at epoch " + divergence.epoch()
                        + "; a spike that recovers (e.g. during warm-up) is harmless.";
                confidence = 0.5;
            }
        }
        if (gradients != null) {
            if (gradients.exploding()) {
                conditions.put("gradients.exploding", new Condition(Alert.CRITICAL,
                        () -> "Gradient norm above " + fmt(explodingNorm) + " at epoch " + e + "."));
                evidence.add(new Verdict.Evidence("gradients.exploding", params("threshold", explodingNorm),
                        params("grad_norm", gradients.norm(), "suggested_clip", gradients.suggestedClip())));
                if (reason == null || Verdict.CONTINUE.equals(action)) {
                    action = Verdict.REDUCE_LR;
                    confidence = 0.75;
                    reason = "Reduce the learning rate or clip gradients"
                            + (gradients.suggestedClip() != null ? " (e.g. at " + fmt(gradients.suggestedClip()) + ")"
                                    : "")
                            + ": gradients are exploding (norm above " + fmt(explodingNorm) + ").";
                }
            }
            if (gradients.vanishing()) {
                conditions.put("gradients.vanishing", new Condition(Alert.WARNING,
                        () -> "Gradient norm below " + fmt(vanishingNorm) + " at epoch " + e + "."));
                evidence.add(new Verdict.Evidence("gradients.vanishing", params("threshold", vanishingNorm),
                        params("grad_norm", gradients.norm())));
            }
            if (!gradients.deadLayers().isEmpty()) {
                conditions.put("gradients.dead_layers", new Condition(Alert.WARNING,
                        () -> gradients.deadLayers().size() + " layer(s) have a zero gradient: "
                                + String.join(", ", gradients.deadLayers().subList(0,
                                        Math.min(5, gradients.deadLayers().size())))
                                + (gradients.deadLayers().size() > 5 ? ", …" : "") + "."));
                evidence.add(new Verdict.Evidence("gradients.dead_layers", params(),
                        params("dead_layers", gradients.deadLayers().size())));
            }
            if (gradients.imbalance()) {
                conditions.put("gradients.imbalance", new Condition(Alert.INFO, () -> "Layer gradient norms differ by "
                        + fmt(gradients.imbalanceRatio()) + "× (threshold " + fmt(imbalanceLimit) + "×)."));
                evidence.add(new Verdict.Evidence("gradients.imbalance", params("threshold", imbalanceLimit),
                        params("imbalance_ratio", gradients.imbalanceRatio())));
            }
            if (gradients.clipFrequency() != null && gradients.clipFrequency() > clipFrequencyLimit) {
                conditions.put("gradients.clipping", new Condition(Alert.INFO,
                        () -> "Gradients clipped in " + Math.round(gradients.clipFrequency() * 100)
                                + " % of steps; the clip value is doing the optimiser's job."));
            }
            if (reason == null && (gradients.vanishing() || !gradients.deadLayers().isEmpty())) {
                action = Verdict.INVESTIGATE;
                confidence = 0.6;
                reason = "Investigate: " + (gradients.vanishing() ? "gradients are vanishing (norm below "
                        + fmt(vanishingNorm) + ")" : gradients.deadLayers().size() + " layer(s) receive no gradient")
                        + ".";
            }
        }
        if (validationIssue != null) {
            conditions.put("validation.suspect", new Condition(Alert.WARNING, () -> capitalise(validationIssue) + "."));
            evidence.add(new Verdict.Evidence("validation.suspect", params("constant_epochs", constantEpochs),
                    params("val_accuracy_zero_epochs", valAccZero, "val_accuracy_constant_epochs", valAccConstant + 1,
                            "val_loss_constant_epochs", valLossConstant + 1)));
            if (reason == null) {
                action = Verdict.INVESTIGATE;
                confidence = 0.8;
                reason = "Investigate the validation set: " + validationIssue + "; its loss cannot guide stopping.";
            }
        }
        if (monitored.size() >= window && monitored.lastY() < 0) {
            Ring.Fit f = monitored.fit(window);
            if (f != null && f.slope() < 0 && f.tStat() >= significance
                    && Math.abs(monitored.lastY()) > 2 * Math.abs(monitored.y(monitored.size() - window))) {
                conditions.put("loss.unbounded", new Condition(Alert.WARNING,
                        () -> capitalise(monitoredName) + " is negative and still falling fast; the loss may be unbounded."));
                evidence.add(new Verdict.Evidence("loss.unbounded", params("window", window),
                        params("loss", round(monitored.lastY()), "slope", round(f.slope()))));
                if (reason == null) {
                    action = Verdict.INVESTIGATE;
                    confidence = 0.7;
                    reason = "Investigate: " + monitoredName + " is negative (" + fmt(monitored.lastY())
                            + ") and keeps falling; a mis-specified loss can fall without bound.";
                }
            }
        }
        if (overfitting.detected()) {
            conditions.put("overfitting", new Condition(Alert.WARNING, () -> "Validation loss has risen "
                    + pct((valW.median(3) - bestVal) / Math.abs(bestVal)) + " above its best (epoch " + bestEpoch
                    + ") while training loss falls."));
            evidence.add(new Verdict.Evidence("overfitting.gap_trend",
                    params("min_rise", overfitRise, "min_epochs", overfitEpochs, "window", window),
                    params("best_epoch", bestEpoch, "best_val_loss", round(bestVal), "epochs_since_best",
                            e - bestEpoch, "gap", overfitting.gap(), "gap_slope", overfitting.gapSlope(),
                            "correlation", overfitting.correlation())));
            // Stopping needs a window of validation history: a rise in the first epochs is too often warm-up.
            if (reason == null && overfitting.confidence() != null && overfitting.confidence() >= minConfidence
                    && valW.size() >= minStopHistory()) {
                action = Verdict.STOP;
                confidence = overfitting.confidence();
                reason = "Stop: validation loss has risen for " + (e - bestEpoch)
                        + " epochs while training loss fell (" + overfitting.severity() + " overfitting); best was epoch "
                        + bestEpoch + " (" + fmt(bestVal) + ").";
            }
        }
        int since = bestEpoch >= 0 ? e - bestEpoch : -1;
        if (plateau.detected()) {
            conditions.put("plateau", new Condition(Alert.INFO, () -> capitalise(monitoredName) + " has improved less than "
                    + pct(plateauRel) + " per " + window + " epochs since epoch " + plateau.sinceEpoch() + "."));
            evidence.add(new Verdict.Evidence("plateau.relative_improvement",
                    params("window", window, "min_relative_improvement", plateauRel, "lr_grace_epochs", lrGrace),
                    params("since_epoch", plateau.sinceEpoch(), "relative_improvement", plateau.relativeImprovement(),
                            "converged", plateau.converged())));
            if (reason == null) {
                boolean lrKnownConstant = !Double.isNaN(lastLr) && lrChangeEpochs == 0;
                double gainRel = forecast != null && forecast.expectedGain() != null && bestEpoch >= 0
                        ? forecast.expectedGain() / Math.abs(bestVal) : 0;
                if (lrKnownConstant && !plateau.converged()) {
                    action = Verdict.REDUCE_LR;
                    confidence = 0.6;
                    reason = "Reduce the learning rate: " + monitoredName + " has improved less than "
                            + pct(plateauRel) + " per " + window + " epochs since epoch " + plateau.sinceEpoch()
                            + " at a constant learning rate.";
                } else if (gainRel < plateauRel && (bestEpoch < 0 || since >= plateauStopEpochs(plateau))) {
                    action = Verdict.STOP;
                    confidence = plateau.converged() ? 0.75 : 0.65;
                    reason = "Stop: " + monitoredName + " has " + (plateau.converged() ? "converged" : "plateaued")
                            + ", improving less than " + pct(plateauRel) + " per " + window + " epochs since epoch " + plateau.sinceEpoch()
                            + (bestText != null ? "; " + bestText : "") + ".";
                }
            }
        }
        boolean ready = since >= patience;
        if (ready) {
            evidence.add(new Verdict.Evidence("early_stopping.patience", params("patience", patience, "min_delta",
                    minDelta), params("epochs_since_improvement", since, "best_epoch", bestEpoch)));
            if (reason == null && !longImproving(monitored)) {
                action = Verdict.STOP;
                confidence = 0.6;
                reason = "Stop: validation loss has not improved for " + since + " epochs; " + bestText + ".";
            }
        }
        if (stability.cv() != null && (stability.cv() > volatileCv
                || stability.oscillation() != null && stability.oscillation() > oscillationLimit
                        && stability.cv() > volatileCv / 2)) {
            conditions.put("instability", new Condition(Alert.INFO, () -> capitalise(monitoredName) + " is volatile (cv "
                    + fmt(stability.cv()) + ", oscillation " + fmt(stability.oscillation()) + ")."));
            evidence.add(new Verdict.Evidence("stability.volatility",
                    params("volatile_cv", volatileCv, "oscillation", oscillationLimit),
                    params("cv", stability.cv(), "oscillation", stability.oscillation())));
        }
        if (reason == null) {
            Verdict.Trend t = valW.size() > 0 ? trends.get(VAL_LOSS) : trends.get(TRAIN_LOSS);
            if (monitored.size() == 0) {
                reason = "Continue: no finite loss yet to judge the run by.";
                confidence = 0.3;
            } else if (t == null) {
                reason = "Continue: too few epochs to judge the trend yet.";
                confidence = 0.3;
            } else {
                reason = "Continue: " + monitoredName + " is " + t.state()
                        + (t.relativeSlope() != null ? " (" + pct(t.relativeSlope()) + " per epoch)" : "")
                        + (bestText != null ? "; " + bestText : "")
                        + (forecast != null && forecast.finalValLoss() != null ? "; forecast " + fmt(forecast
                                .finalValLoss()) + " at epoch " + forecast.atEpoch() : "") + ".";
                confidence = Verdict.Trend.IMPROVING.equals(t.state()) ? 0.8 : 0.55;
            }
        }
        return new Recommendation(new Verdict.Recommendation(action, round(confidence), reason, evidence));
    }

    private Verdict emptyVerdict() {
        return new Verdict(null, null, null, null, new Verdict.EarlyStopping(patience, minDelta, false), Map.of(),
                new Verdict.Overfitting(false, null, "none", null, null, null, null, null, null),
                new Verdict.Plateau(false, null, null, window, false, false),
                new Verdict.Divergence(false, null, null, false, null), new Verdict.Stability(null, null, List.of()),
                Verdict.Gradients.NOT_MEASURED, Verdict.LearningRate.NOT_MEASURED, Verdict.Throughput.NOT_MEASURED,
                Verdict.Forecast.NOT_ASSESSED, Verdict.AfterBest.NOT_ASSESSED, new Verdict.Scores(null, null, null, null),
                new Verdict.Recommendation(Verdict.CONTINUE, 0.0, "Continue: no epochs yet.", List.of()), List.of(),
                List.of("everything: no epochs yet"));
    }

    // ----------------------------------------------------------------------------------------------------------
    // Small helpers

    private static Map<String, Object> params(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            if (v instanceof Double d) {
                v = round(d);
            }
            m.put((String) keyValues[i], v);
        }
        return m;
    }

    /** A finite value rounded to 6 significant digits, or null: a verdict never carries NaN or infinity. */
    static Double round(double v) {
        if (!Double.isFinite(v)) {
            return null;
        }
        if (v == 0) {
            return 0.0;
        }
        double scale = Math.pow(10, 5 - Math.floor(Math.log10(Math.abs(v))));
        double r = Math.round(v * scale) / scale;
        return Double.isFinite(r) ? r : v;
    }

    static Double round(Double v) {
        return v == null ? null : round(v.doubleValue());
    }

    private static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
    }

    private static final java.math.MathContext FOUR_DIGITS = new java.math.MathContext(4);

    /** A number for a sentence: 4 significant digits, no exponent for everyday magnitudes. */
    private static String fmt(Double v) {
        if (v == null || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        if (v == 0) {
            return "0";
        }
        // From the shortest decimal that reads back as v (what a person sees printed), not from the double's exact
        // binary expansion: that one costs a big-integer division per number, and the analysis writes sentences on
        // every epoch.
        java.math.BigDecimal d = java.math.BigDecimal.valueOf(v).round(FOUR_DIGITS).stripTrailingZeros();
        double a = Math.abs(v);
        return a < 1e-3 || a >= 1e6 ? d.toString() : d.toPlainString();
    }

    private static String pct(double fraction) {
        return fmt(Math.round(fraction * 1000) / 10.0) + " %";
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
