package io.trainwatch.analysis;

/**
 * The state every rule shares, all of it bounded: windows of the recent losses and accuracies (ring buffers), the
 * best validation loss with its epoch, the first values. Rules keep only their own counters; this is the common
 * part, updated once per epoch before the rules observe it.
 */
final class RunState {

    static final String TRAIN_LOSS = "train_loss";
    static final String VAL_LOSS = "val_loss";
    static final String TRAIN_ACCURACY = "train_accuracy";
    static final String VAL_ACCURACY = "val_accuracy";

    /** The trend window and the thresholds that judge a trend, shared by several rules. */
    record Settings(int patience, double minDelta, int window, double minRelSlope, double significance,
            double volatileCv, int forecastWindow) {

        Settings {
            if (patience < 1) {
                throw new IllegalArgumentException("patience: must be >= 1, was " + patience);
            }
            if (!(minDelta >= 0)) {
                throw new IllegalArgumentException("min_delta: must be >= 0, was " + minDelta);
            }
            if (window < 3) {
                throw new IllegalArgumentException("trend.window: must be >= 3, was " + window);
            }
            if (!(significance > 0) || !(minRelSlope >= 0) || !(volatileCv > 0)) {
                throw new IllegalArgumentException("trend thresholds: must be positive, were significance "
                        + significance + ", min_relative_slope " + minRelSlope + ", volatile_cv " + volatileCv);
            }
        }

        static Settings from(AnalysisSettings s) {
            return new Settings(s.patience(), s.minDelta(), Math.max(3, (int) Math.round(s.threshold("trend.window"))),
                    s.threshold("trend.min_relative_slope"), s.threshold("trend.significance"),
                    s.threshold("stability.volatile_cv"),
                    Math.max(4, (int) Math.round(s.threshold("forecast.window"))));
        }

        int longWindow() {
            return 2 * window;
        }
    }

    final Settings settings;
    final int window;
    final int longWindow;
    final Ring train;
    final Ring val;
    final Ring trainAcc;
    final Ring valAcc;

    int epoch = -1;
    Integer totalEpochs;
    boolean trainFinite;
    boolean valFinite;
    /** Whether this epoch's validation loss was a new best (by min_delta, relative to the best). */
    boolean improvedVal;
    /** The best validation loss: the patience rule's own tracking, so the engine and trainer-host agree. */
    final Patience best;
    double bestVal = Double.NaN;
    int bestEpoch = -1;
    double trainAtBest = Double.NaN;
    double firstVal = Double.NaN;
    double bestTrain = Double.NaN;
    double firstTrain = Double.NaN;

    RunState(Settings settings) {
        this.settings = settings;
        window = settings.window();
        longWindow = settings.longWindow();
        int cap = Math.max(longWindow, settings.forecastWindow());
        train = new Ring(cap);
        val = new Ring(cap);
        trainAcc = new Ring(cap);
        valAcc = new Ring(cap);
        best = new Patience(settings.patience(), settings.minDelta());
    }

    /** Starts an epoch: what the rules that judge before the windows move (divergence) need. */
    void begin(EpochPoint p) {
        epoch = p.epoch();
        if (p.totalEpochs() != null && p.totalEpochs() > 0) {
            totalEpochs = p.totalEpochs();
        }
        trainFinite = p.trainLoss() != null && Double.isFinite(p.trainLoss());
        valFinite = p.valLoss() != null && Double.isFinite(p.valLoss());
    }

    /** Takes the epoch's values into the windows and the best tracking. */
    void take(EpochPoint p) {
        int e = p.epoch();
        improvedVal = false;
        if (trainFinite) {
            train.add(e, p.trainLoss());
            if (Double.isNaN(firstTrain)) {
                firstTrain = p.trainLoss();
            }
        }
        if (valFinite) {
            double v = p.valLoss();
            val.add(e, v);
            if (Double.isNaN(firstVal)) {
                firstVal = v;
            }
            if (best.observe(e, v)) {
                bestVal = v;
                bestEpoch = e;
                trainAtBest = trainFinite ? p.trainLoss() : Double.NaN;
                improvedVal = true;
            }
        }
        if (trainFinite && (Double.isNaN(bestTrain) || bestTrain - p.trainLoss() > settings.minDelta()
                * Math.abs(bestTrain))) {
            bestTrain = p.trainLoss();
        }
        addFinite(trainAcc, e, p.trainAccuracy());
        addFinite(valAcc, e, p.valAccuracy());
    }

    static void addFinite(Ring ring, int epoch, Double value) {
        if (value != null && Double.isFinite(value)) {
            ring.add(epoch, value);
        }
    }

    /** The monitored loss: validation when the run has one, else training. */
    Ring monitored() {
        return val.size() > 0 ? val : train;
    }

    String monitoredName() {
        return val.size() > 0 ? "validation loss" : "training loss";
    }

    /** Epochs since the best validation loss; -1 without one. */
    int sinceBest() {
        return bestEpoch >= 0 ? epoch - bestEpoch : -1;
    }

    /** "best was epoch N (loss)", or null without a best. */
    String bestText() {
        return bestEpoch >= 0 ? "best was epoch " + bestEpoch + " (" + Fmt.fmt(bestVal) + ")" : null;
    }

    /** Validation epochs needed before any stop advice: a rise in the first epochs is too often warm-up. */
    int minStopHistory() {
        return Math.max(5, window / 2);
    }

    /**
     * The validation level since the best, confirmed by more than one epoch: nothing after one epoch, the lower of
     * two, the median of the last three. A single spike never counts as a rise.
     */
    double confirmedLevel() {
        int k = Math.min(epoch - bestEpoch, val.size());
        if (k < 2) {
            return bestVal;
        }
        if (k == 2) {
            return Math.min(val.y(val.size() - 1), val.y(val.size() - 2));
        }
        return val.median(3);
    }

    /** Trend state of the newest {@code n} points: a least-squares slope judged against its own noise. */
    Verdict.Trend trend(Ring ring, int n, boolean higherIsBetter) {
        Ring.Fit f = ring.fit(n);
        if (f == null) {
            return new Verdict.Trend(Verdict.Trend.PLATEAUED, 0.0, 0.0);
        }
        double level = Math.abs(f.meanY());
        double rel = level > 0 ? f.slope() / level : 0;
        String state;
        boolean significant = f.tStat() >= settings.significance() && Math.abs(rel) >= settings.minRelSlope();
        if (significant) {
            boolean better = higherIsBetter ? f.slope() > 0 : f.slope() < 0;
            state = better ? Verdict.Trend.IMPROVING : Verdict.Trend.WORSENING;
        } else if (level > 0 && f.residualSd() / level > settings.volatileCv()) {
            state = Verdict.Trend.UNSTABLE;
        } else if (Math.abs(rel) < settings.minRelSlope() || f.n() >= 5) {
            state = Verdict.Trend.PLATEAUED;
        } else {
            state = Verdict.Trend.UNSTABLE;
        }
        return new Verdict.Trend(state, Fmt.round(f.slope()), Fmt.round(rel));
    }

    /** Whether the training loss fell by more than {@code rel} over its last {@code n} epochs. */
    boolean trainImprovedOver(int n, double rel) {
        if (train.size() < 2) {
            return false;
        }
        int k = Math.min(n + 1, train.size());
        double old = train.y(train.size() - k);
        double now = train.lastY();
        return old - now > rel * Math.abs(old);
    }
}
