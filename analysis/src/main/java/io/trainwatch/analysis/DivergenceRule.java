package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.capitalise;
import static io.trainwatch.analysis.Fmt.fmt;
import static io.trainwatch.analysis.Fmt.params;

/**
 * Divergence: a NaN or infinite loss (either series), a spike of the training loss above its smoothed level, a
 * sustained rise of the smoothed training loss; and when an event has ended (the loss back under the level it had
 * before). An event that has not ended a whole patience after it began advises stopping.
 */
final class DivergenceRule implements Rule<Verdict.Divergence> {

    /** Thresholds of the rule, validated. */
    record Settings(double spikeRatio, int sustainedEpochs, double sustainedRise, int window, int patience,
            double lrFactor) {

        Settings {
            if (!(spikeRatio > 1)) {
                throw new IllegalArgumentException("divergence.spike_ratio: must be > 1, was " + spikeRatio);
            }
            if (!(sustainedRise > 0)) {
                throw new IllegalArgumentException("divergence.sustained_rise: must be > 0, was " + sustainedRise);
            }
            if (!(lrFactor > 0 && lrFactor < 1)) {
                throw new IllegalArgumentException("learning_rate.divergence_factor: must be in (0, 1), was "
                        + lrFactor);
            }
        }

        static Settings from(AnalysisSettings s, RunState.Settings common) {
            return new Settings(s.threshold("divergence.spike_ratio"),
                    Math.max(2, (int) Math.round(s.threshold("divergence.sustained_epochs"))),
                    s.threshold("divergence.sustained_rise"), common.window(), common.patience(),
                    s.threshold("learning_rate.divergence_factor"));
        }
    }

    private final Settings settings;
    private double trainEma = Double.NaN;
    private double valEma = Double.NaN;
    private double minTrainEma = Double.NaN;
    private int riseStreak;
    private String kind;
    private Integer epoch;
    private String series;
    private boolean active;
    private boolean recovered;
    private double recoveryLevel = Double.NaN;
    private int spikeEpochs;
    /** First epoch of the current event (a spike that turns into a sustained rise keeps its start). */
    private int start = -1;

    DivergenceRule(Settings settings) {
        this.settings = settings;
    }

    /** Judged against the smoothed past: the EMAs take this epoch's values only after the judgement. */
    @Override
    public Verdict.Divergence observe(EpochPoint p, RunState state, Findings findings) {
        update(p, state);
        Verdict.Divergence d = new Verdict.Divergence(active, kind, epoch, recovered, series);
        if (d.detected()) {
            advise(d, state, findings);
        }
        return d;
    }

    private void update(EpochPoint p, RunState state) {
        int e = p.epoch();
        Double train = p.trainLoss();
        Double val = p.valLoss();
        boolean trainFinite = state.trainFinite;
        boolean valFinite = state.valFinite;
        double alpha = 2.0 / (settings.window() + 1);
        double valEmaBefore = valEma;
        if (valFinite) {
            // The validation EMA is kept whatever the monitored series: it is the recovery level of a NaN validation.
            valEma = Double.isNaN(valEma) ? val : valEma + alpha * (val - valEma);
        }
        // Non-finite first: critical at once, on either loss.
        String nonFinite = null;
        String nonFiniteSeries = null;
        if (train != null && !trainFinite) {
            nonFinite = Double.isNaN(train) ? Verdict.Divergence.NAN : Verdict.Divergence.INF;
            nonFiniteSeries = RunState.TRAIN_LOSS;
        } else if (val != null && !valFinite) {
            nonFinite = Double.isNaN(val) ? Verdict.Divergence.NAN : Verdict.Divergence.INF;
            nonFiniteSeries = RunState.VAL_LOSS;
        }
        if (nonFinite != null) {
            if (!active) {
                start = e;
            }
            if (!active || !nonFinite.equals(kind)) {
                double ema = RunState.TRAIN_LOSS.equals(nonFiniteSeries) ? trainEma : valEmaBefore;
                recoveryLevel = Double.isNaN(ema) ? Double.NaN : ema + 0.25 * Math.abs(ema);
            }
            open(nonFinite, e, nonFiniteSeries);
            riseStreak = 0;
            return;
        }
        // A NaN/Inf event ends when its own series is finite again and back under the level it had before.
        boolean nonFiniteEvent = active && (Verdict.Divergence.NAN.equals(kind) || Verdict.Divergence.INF.equals(kind));
        if (nonFiniteEvent && RunState.VAL_LOSS.equals(series) && valFinite) {
            if (Double.isNaN(recoveryLevel) || val <= recoveryLevel) {
                active = false;
                recovered = true;
            }
            nonFiniteEvent = active;
        }
        // Spikes and sustained rise are judged on the training loss, the one the optimiser drives; validation
        // spikes are noise of the held-out set and count toward stability instead. Without a training loss, on
        // the validation loss.
        boolean useTrain = train != null || state.train.size() > 0;
        boolean finite = useTrain ? trainFinite : valFinite;
        if (!finite) {
            return;
        }
        double v = useTrain ? train : val;
        double ema = useTrain ? trainEma : valEmaBefore;
        String name = useTrain ? RunState.TRAIN_LOSS : RunState.VAL_LOSS;
        // Values seen before this one (the window has already taken it).
        int seen = (useTrain ? state.train.size() : state.val.size()) - 1;

        if (active && !(nonFiniteEvent && !name.equals(series))) {
            // Recovered once the loss is back under the level it had before the event.
            if (Double.isNaN(recoveryLevel) || v <= recoveryLevel) {
                active = false;
                recovered = true;
                spikeEpochs = 0;
            } else if (Verdict.Divergence.SPIKE.equals(kind)) {
                spikeEpochs++;
                if (spikeEpochs >= settings.sustainedEpochs()) {
                    kind = Verdict.Divergence.SUSTAINED_RISE;
                    epoch = e;
                }
            }
        } else if (!active && seen >= 2 && !Double.isNaN(ema)
                && v - ema >= (settings.spikeRatio() - 1) * Math.abs(ema)) {
            start = e;
            open(Verdict.Divergence.SPIKE, e, name);
            recoveryLevel = ema + 0.25 * (v - ema);
            spikeEpochs = 0;
        }

        if (useTrain) {
            // Smoothed level: an EMA with the span of the trend window.
            double newEma = Double.isNaN(trainEma) ? v : trainEma + alpha * (v - trainEma);
            riseStreak = !Double.isNaN(trainEma) && newEma > trainEma ? riseStreak + 1 : 0;
            trainEma = newEma;
            minTrainEma = Double.isNaN(minTrainEma) ? newEma : Math.min(minTrainEma, newEma);
            if (!active && riseStreak >= settings.sustainedEpochs()
                    && newEma - minTrainEma >= settings.sustainedRise() * Math.abs(minTrainEma)) {
                start = e;
                open(Verdict.Divergence.SUSTAINED_RISE, e, name);
                recoveryLevel = minTrainEma + 0.5 * settings.sustainedRise() * Math.abs(minTrainEma);
            }
        }
    }

    private void open(String newKind, int e, String newSeries) {
        kind = newKind;
        epoch = e;
        series = newSeries;
        active = true;
        recovered = false;
    }

    private void advise(Verdict.Divergence d, RunState state, Findings f) {
        int e = state.epoch;
        String k = d.kind();
        boolean nonFinite = Verdict.Divergence.NAN.equals(k) || Verdict.Divergence.INF.equals(k);
        String seriesName = RunState.TRAIN_LOSS.equals(d.series()) ? "training loss" : "validation loss";
        String alertKind = "divergence." + k;
        String bestText = state.bestText();
        String best = bestText != null ? "; " + bestText : "";
        int rank = Recommender.RANK_DIVERGENCE;
        f.evidence(rank, () -> new Verdict.Evidence(alertKind,
                params("spike_ratio", settings.spikeRatio(), "sustained_epochs", settings.sustainedEpochs(),
                        "sustained_rise", settings.sustainedRise(), "patience", settings.patience(), "lr_factor",
                        settings.lrFactor()),
                params("series", d.series(), "epoch", d.epoch())));
        if (nonFinite) {
            String what = k.equals(Verdict.Divergence.NAN) ? "NaN" : "infinite";
            f.condition(rank, alertKind, new Condition(Alert.CRITICAL,
                    () -> capitalise(seriesName) + " became " + what + " at epoch " + d.epoch() + "."));
            f.advise(new Advice(Recommender.NON_FINITE, Verdict.STOP, 0.95, () -> "Stop: " + seriesName + " became " + what
                    + " at epoch " + d.epoch() + "; the run has diverged" + best + "."));
        } else if (Verdict.Divergence.SUSTAINED_RISE.equals(k)) {
            f.condition(rank, alertKind, new Condition(Alert.CRITICAL,
                    () -> capitalise(seriesName) + " has kept rising since epoch " + d.epoch() + "."));
            int from = start;
            if (e - from >= settings.patience()) {
                // The advice to reduce the rate has stood a whole patience without the loss coming back: this run
                // will not recover by itself; its compute is better spent on a restart.
                f.advise(new Advice(Recommender.DIVERGED, Verdict.STOP, 0.85, () -> "Stop: " + seriesName
                        + " diverged at epoch " + from + " and has not recovered in " + (e - from)
                        + " epochs; restart from the best checkpoint with a lower learning rate" + best + "."));
            } else {
                f.advise(new Advice(Recommender.SUSTAINED_RISE, Verdict.REDUCE_LR, 0.8, () ->
                        "Reduce the learning rate (e.g. × " + fmt(settings.lrFactor()) + "): " + seriesName
                                + " has kept rising (sustained divergence since epoch " + d.epoch() + ")" + best
                                + "."));
            }
        } else {
            f.condition(rank, alertKind, new Condition(Alert.WARNING, () -> capitalise(seriesName)
                    + " spiked to at least " + fmt(settings.spikeRatio()) + "× its smoothed value at epoch "
                    + d.epoch() + "."));
            f.advise(new Advice(Recommender.SPIKE, Verdict.CONTINUE, 0.5, () -> "Continue, watching: " + seriesName
                    + " spiked at epoch " + d.epoch() + "; a spike that recovers (e.g. during warm-up) is harmless."));
        }
    }
}
