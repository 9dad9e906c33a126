package io.trainwatch.analysis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every threshold of the engine, with its default, in this one place. A run may override any of them by name (the
 * names are the rule names documented in {@code docs/analysis.md}); an unknown name is an error, so a typo never
 * silently keeps the default.
 *
 * @param patience epochs without an improvement of at least {@code minDelta} after which early stopping is ready
 * @param minDelta the smallest decrease of the best validation loss that counts as an improvement, relative to the
 *     best value (so it means the same on every loss scale)
 * @param thresholds every named threshold, defaults merged with the run's overrides
 */
public record AnalysisSettings(int patience, double minDelta, Map<String, Double> thresholds) {

    /**
     * Default patience: 10 epochs is the value most Keras/Lightning early-stopping examples use, long enough to ride
     * out one-epoch validation spikes and an LR-scheduler reaction, short enough to matter on a 50-100 epoch run.
     */
    public static final int DEFAULT_PATIENCE = 10;

    /**
     * Default min_delta, relative: 1e-4 of the best loss. Smaller gains are below float noise of a validation pass
     * and would reset the patience counter for nothing; larger ones would call a slowly converging run stalled.
     */
    public static final double DEFAULT_MIN_DELTA = 1e-4;

    /** name → {default, meaning}; the order is the order of docs/analysis.md. */
    private static final Map<String, Threshold> DEFINITIONS = definitions();

    /** One named threshold with its default and what it means. */
    public record Threshold(String name, double defaultValue, String meaning) {
    }

    public AnalysisSettings {
        if (patience < 1) {
            throw new IllegalArgumentException("patience: must be >= 1, was " + patience);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("min_delta: must be a finite number >= 0, was " + minDelta);
        }
        Map<String, Double> merged = new LinkedHashMap<>();
        DEFINITIONS.values().forEach(t -> merged.put(t.name(), t.defaultValue()));
        if (thresholds != null) {
            thresholds.forEach((name, value) -> {
                checkName(name);
                if (value == null || !Double.isFinite(value)) {
                    throw new IllegalArgumentException("thresholds." + name + ": must be a finite number, was " + value);
                }
                merged.put(name, value);
            });
        }
        thresholds = Collections.unmodifiableMap(merged);
    }

    /** The defaults: patience 10, min_delta 1e-4, every threshold as documented. */
    public static AnalysisSettings defaults() {
        return new AnalysisSettings(DEFAULT_PATIENCE, DEFAULT_MIN_DELTA, Map.of());
    }

    /**
     * These settings with a run's overrides; {@code null} keeps the current value.
     *
     * @throws IllegalArgumentException for an unknown threshold name (the message lists the valid ones) or an
     *     out-of-range value
     */
    public AnalysisSettings withOverrides(Integer patience, Double minDelta, Map<String, Double> thresholds) {
        Map<String, Double> merged = new LinkedHashMap<>(this.thresholds);
        if (thresholds != null) {
            thresholds.keySet().forEach(AnalysisSettings::checkName);
            merged.putAll(thresholds);
        }
        return new AnalysisSettings(patience == null ? this.patience : patience,
                minDelta == null ? this.minDelta : minDelta, merged);
    }

    /** The value of a named threshold. */
    public double threshold(String name) {
        Double value = thresholds.get(name);
        if (value == null) {
            checkName(name);
        }
        return value;
    }

    /** Every threshold the engine knows, in documentation order. */
    public static Map<String, Threshold> definitionsByName() {
        return DEFINITIONS;
    }

    private static void checkName(String name) {
        if (name == null || !DEFINITIONS.containsKey(name)) {
            throw new IllegalArgumentException("thresholds: unknown rule \"" + name + "\"; valid names are "
                    + new TreeMap<>(DEFINITIONS).keySet());
        }
    }

    private static Map<String, Threshold> definitions() {
        Map<String, Threshold> d = new LinkedHashMap<>();
        put(d, "trend.window", 10, "epochs in the sliding window for trends, stability and plateau");
        put(d, "trend.min_relative_slope", 0.002,
                "smoothed slope per epoch, relative to the series level, below which a series is plateaued");
        put(d, "trend.significance", 2.0,
                "|slope| / standard error above which a trend is improving or worsening rather than noise");
        put(d, "plateau.min_relative_improvement", 0.02,
                "the best confirmed loss level must improve by this fraction over the window, or it has plateaued");
        put(d, "plateau.lr_grace_epochs", 5, "epochs after a learning-rate change during which no plateau is declared");
        put(d, "overfitting.min_rise", 0.02,
                "smoothed validation loss this fraction above its best (and rising) before overfitting is called");
        put(d, "overfitting.min_epochs", 3, "epochs of validation rise while training loss falls before overfitting");
        put(d, "overfitting.excursion_factor", 1.5,
                "a rise must exceed the largest rise the run has already recovered from by this factor");
        put(d, "divergence.spike_ratio", 2.0, "a loss at least this many times its smoothed value is a spike");
        put(d, "divergence.sustained_epochs", 5, "epochs of continuous rise of the smoothed training loss");
        put(d, "divergence.sustained_rise", 0.5,
                "fraction above its smoothed minimum the training loss must reach for a sustained rise");
        put(d, "stability.volatile_cv", 0.1,
                "coefficient of variation of the detrended loss over the window above which a period is volatile");
        put(d, "stability.oscillation", 0.7, "rate of direction changes of the loss above which it oscillates");
        put(d, "gradients.exploding", 100, "global gradient norm above which gradients explode");
        put(d, "gradients.vanishing", 1e-7, "global gradient norm below which gradients vanish");
        put(d, "gradients.imbalance", 1000, "ratio between the largest and smallest non-zero layer norm");
        put(d, "gradients.clip_frequency", 0.5, "fraction of steps clipped above which the clip value is too low");
        put(d, "throughput.change", 0.2, "relative change of samples/s over the window that counts as a trend");
        put(d, "forecast.window", 20, "recent epochs the forecast curve is fitted on");
        put(d, "validation.constant_epochs", 5,
                "epochs of exactly constant validation accuracy/loss after which the validation set is suspect");
        put(d, "recommendation.min_confidence", 0.6,
                "confidence an overfitting verdict needs before it advises stop");
        put(d, "learning_rate.plateau_factor", 0.5,
                "factor the reduce_lr advice of a plateau suggests: halve, and look again after the grace epochs");
        put(d, "learning_rate.divergence_factor", 0.1,
                "factor the reduce_lr advice of a divergence or exploding gradients suggests: an order of magnitude");
        put(d, "alerts.open_epochs", 2,
                "epochs running an info condition must hold before its alert opens (warning, critical: at once)");
        put(d, "alerts.resolve_epochs", 3,
                "epochs running a condition must be absent before its alert resolves, and before it may reopen");
        return Collections.unmodifiableMap(d);
    }

    private static void put(Map<String, Threshold> d, String name, double value, String meaning) {
        d.put(name, new Threshold(name, value, meaning));
    }
}
