package io.trainwatch.trainer.training;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Optional;

/**
 * The patience rule of {@code monitor.stop_early}, the same one the analysis engine uses for
 * {@code early_stopping.ready}: an epoch improves on the best loss when {@code best - loss > minDelta × |best|}
 * (min_delta relative to the best value); once {@code patience} epochs have passed since the best, the run is due to
 * stop. The monitored loss is {@code val_loss}, or {@code train_loss} for a run without a validation set. A
 * missing or non-finite loss never improves. Plain Java: one instance per run, fed once per epoch.
 */
public final class EarlyStopping {

    private final int patience;
    private final double minDelta;
    private final String metric;
    private double best = Double.NaN;
    private int bestEpoch = -1;

    /**
     * @param patience epochs without improvement before stopping, ≥ 1
     * @param minDelta smallest decrease that counts, relative to the best value, ≥ 0
     * @param validation whether the run has a validation set: then {@code val_loss} is watched, else {@code train_loss}
     */
    public EarlyStopping(int patience, double minDelta, boolean validation) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience: must be >= 1, was " + patience);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("min_delta: must be a finite number >= 0, was " + minDelta);
        }
        this.patience = patience;
        this.minDelta = minDelta;
        this.metric = validation ? "val_loss" : "train_loss";
    }

    /** {@code val_loss} or {@code train_loss}. */
    public String metric() {
        return metric;
    }

    /**
     * Takes one finished epoch (epochs arrive in order).
     *
     * @return the reason to stop after this epoch, if patience has run out
     */
    public Optional<String> onEpoch(int epoch, Double trainLoss, Double valLoss) {
        Double loss = metric.equals("val_loss") ? valLoss : trainLoss;
        if (loss != null && Double.isFinite(loss) && (bestEpoch < 0 || best - loss > minDelta * Math.abs(best))) {
            best = loss;
            bestEpoch = epoch;
            return Optional.empty();
        }
        if (bestEpoch < 0 || epoch - bestEpoch < patience) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT,
                "%s has not improved by more than min_delta %s (relative to the best: %s) for %d epochs (patience %d); "
                        + "best %s at epoch %d", metric, number(minDelta), percent(minDelta), epoch - bestEpoch, patience,
                number(best), bestEpoch));
    }

    /** The best loss so far; NaN before the first finite one. */
    public double best() {
        return best;
    }

    /** The epoch of the best loss; -1 before the first finite one. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** Four significant digits, no exponent, no trailing zeros: 0.4123, 0.0001, 12.35. */
    static String number(double v) {
        return new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }

    private static String percent(double fraction) {
        return number(fraction * 100) + " %";
    }
}
