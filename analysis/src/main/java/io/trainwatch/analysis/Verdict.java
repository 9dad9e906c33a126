package io.trainwatch.analysis;

import java.util.List;
import java.util.Map;

/**
 * The training-health verdict after an epoch. Component names, written in snake_case, are the contract of
 * docs/analysis.md and docs/contracts.md; the caller adds {@code run_id} and {@code status}. Every section is present (a
 * client never meets a null object); a value the engine could not compute is {@code null} inside it and
 * {@link #notAssessed()} says why. No number in a verdict is NaN or infinite.
 *
 * @param epoch the last epoch analysed; {@code null} for an empty history
 * @param trend per series ({@code train_loss}, {@code val_loss}, {@code train_accuracy}, {@code val_accuracy})
 * @param alerts the open alerts and the most recently resolved ones (at most {@link RunAnalyzer#MAX_RESOLVED_KEPT})
 * @param notAssessed what could not be assessed and why, e.g. {@code "overfitting: no validation loss"}
 */
public record Verdict(
        Integer epoch,
        Integer bestEpoch,
        Double bestValLoss,
        Integer epochsSinceImprovement,
        EarlyStopping earlyStopping,
        Map<String, Trend> trend,
        Overfitting overfitting,
        Plateau plateau,
        Divergence divergence,
        Stability stability,
        Gradients gradients,
        LearningRate learningRate,
        Throughput throughput,
        Forecast forecast,
        AfterBest afterBest,
        Scores scores,
        Recommendation recommendation,
        List<Alert> alerts,
        List<String> notAssessed) {

    public Verdict {
        trend = trend == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(trend));
        alerts = alerts == null ? List.of() : List.copyOf(alerts);
        notAssessed = notAssessed == null ? List.of() : List.copyOf(notAssessed);
    }

    /** Actions a recommendation can advise. */
    public static final String CONTINUE = "continue";
    public static final String STOP = "stop";
    public static final String REDUCE_LR = "reduce_lr";
    public static final String INVESTIGATE = "investigate";

    /**
     * Early-stopping readiness: {@code ready} once the best validation loss has not improved by {@code min_delta}
     * (relative) for {@code patience} epochs.
     */
    public record EarlyStopping(int patience, double minDelta, boolean ready) {
    }

    /**
     * The smoothed direction of one series.
     *
     * @param state {@code improving}, {@code plateaued}, {@code worsening} or {@code unstable} ("improving" means
     *     falling for a loss and rising for an accuracy)
     * @param slope least-squares slope of the series over the trend window, in its units per epoch
     * @param relativeSlope the slope divided by the series' mean level over the window (scale-free)
     */
    public record Trend(String state, Double slope, Double relativeSlope) {
        public static final String IMPROVING = "improving";
        public static final String PLATEAUED = "plateaued";
        public static final String WORSENING = "worsening";
        public static final String UNSTABLE = "unstable";
    }

    /**
     * Overfitting: validation loss rising above its best while training loss keeps falling.
     *
     * @param severity {@code none}, {@code mild}, {@code moderate} or {@code severe}
     * @param gap validation loss minus training loss (smoothed, last epoch)
     * @param gapRel the gap divided by the validation loss
     * @param gapSlope slope of the gap per epoch over the window
     * @param correlation Pearson correlation of the epoch-to-epoch changes of train and validation loss over the
     *     window (negative when they move apart)
     * @param validationIssue why the validation set looks broken or mismatched, which is reported instead of
     *     overfitting; {@code null} when it looks sound
     */
    public record Overfitting(boolean detected, Integer onsetEpoch, String severity, Double gap, Double gapRel,
            Double gapSlope, Double correlation, Double confidence, String validationIssue) {
    }

    /**
     * Plateau of the validation loss (the training loss when there is none).
     *
     * @param relativeImprovement improvement of the best confirmed level (median of 3) over the last window,
     *     relative to the level at the window's start
     * @param converged the plateau is a convergence (flat, low noise, near the forecast floor) rather than a stall
     */
    public record Plateau(boolean detected, Integer sinceEpoch, Double relativeImprovement, int window,
            boolean lrChangedRecently, boolean converged) {
    }

    /**
     * Divergence of the training loss (or of the validation loss when it is the only one).
     *
     * @param kind {@code nan}, {@code inf}, {@code spike} or {@code sustained_rise}; {@code null} when never seen
     * @param epoch the epoch it was (last) seen
     * @param recovered the loss came back under its pre-event level, e.g. a warm-up spike
     */
    public record Divergence(boolean detected, String kind, Integer epoch, boolean recovered, String series) {
        public static final String NAN = "nan";
        public static final String INF = "inf";
        public static final String SPIKE = "spike";
        public static final String SUSTAINED_RISE = "sustained_rise";
    }

    /**
     * Stability of the monitored loss over the window.
     *
     * @param cv standard deviation of the detrended loss divided by its mean level
     * @param oscillation fraction of consecutive changes that reverse direction (0 = monotone, 1 = zig-zag)
     * @param volatilePeriods the most recent periods whose cv exceeded {@code stability.volatile_cv}
     */
    public record Stability(Double cv, Double oscillation, List<Period> volatilePeriods) {
        public Stability {
            volatilePeriods = volatilePeriods == null ? List.of() : List.copyOf(volatilePeriods);
        }
    }

    /** A span of epochs; {@code toEpoch} is {@code null} while it lasts. */
    public record Period(int fromEpoch, Integer toEpoch) {
    }

    /**
     * Gradient health of the last epoch that measured gradients.
     *
     * @param imbalanceRatio largest over smallest non-zero layer gradient norm
     * @param clipFrequency clipped steps / steps in the epoch
     * @param suggestedClip a clip value from the run's own recent gradient norms (twice their median)
     */
    public record Gradients(Double norm, boolean exploding, boolean vanishing, List<String> deadLayers,
            boolean imbalance, Double imbalanceRatio, Double clipFrequency, Double suggestedClip) {
        /** Shape of the section when no gradients were measured (see {@code not_assessed}). */
        public static final Gradients NOT_MEASURED = new Gradients(null, false, false, List.of(), false, null, null,
                null);

        public Gradients {
            deadLayers = deadLayers == null ? List.of() : List.copyOf(deadLayers);
        }
    }

    /**
     * Learning rate and what its last change did.
     *
     * @param lastChangeRatio new rate / old rate at the last change
     * @param effect {@code improved}, {@code no_effect}, {@code worsened}, or {@code pending} while too few epochs
     *     have passed; {@code null} when the rate never changed
     * @param schedule {@code constant}, {@code decaying}, {@code increasing} or {@code stepped}
     */
    public record LearningRate(Double current, Integer lastChangeEpoch, Double lastChangeRatio, Double slopeBefore,
            Double slopeAfter, String effect, String schedule) {
        /** Shape of the section when no learning rate was measured. */
        public static final LearningRate NOT_MEASURED = new LearningRate(null, null, null, null, null, null, null);
    }

    /**
     * Throughput and time to finish.
     *
     * @param trend {@code rising}, {@code stable} or {@code falling}
     * @param etaSeconds remaining epochs × mean recent epoch duration; needs total_epochs and duration_ms
     */
    public record Throughput(Double samplesPerSecond, String trend, Double epochSeconds, Double etaSeconds) {
        /** Shape of the section when neither durations nor samples/s were measured. */
        public static final Throughput NOT_MEASURED = new Throughput(null, null, null, null);
    }

    /**
     * Forecast of the validation loss at the last configured epoch (or {@code horizon} epochs ahead).
     *
     * @param expectedGain best validation loss now minus forecast (positive: continuing should help)
     */
    public record Forecast(Double finalValLoss, Double low, Double high, Double expectedGain, Integer atEpoch,
            String model) {
        /** Shape of the section when there is too little validation loss to forecast. */
        public static final Forecast NOT_ASSESSED = new Forecast(null, null, null, null, null, null);
    }

    /** Epochs and compute spent since the best epoch; both null without a validation loss. */
    public record AfterBest(Integer epochs, Double computeSeconds) {
        public static final AfterBest NOT_ASSESSED = new AfterBest(null, null);
    }

    /** Quality scores in [0, 1]; higher means more of the named property ({@code overfitting}: more overfit). */
    public record Scores(Double overfitting, Double convergence, Double stability, Double generalisation) {
    }

    /**
     * What to do now, how sure the engine is, a sentence a person understands, and the rules behind it.
     *
     * @param action {@code continue}, {@code stop}, {@code reduce_lr} or {@code investigate}
     */
    public record Recommendation(String action, double confidence, String reason, List<Evidence> evidence) {
        public Recommendation {
            evidence = evidence == null ? List.of() : List.copyOf(evidence);
        }
    }

    /** One rule that fired: its name, the parameters it ran with and the values it saw. */
    public record Evidence(String rule, Map<String, Object> params, Map<String, Object> values) {
        public Evidence {
            params = params == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
            values = values == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        }
    }
}
