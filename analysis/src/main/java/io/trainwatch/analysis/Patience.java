package io.trainwatch.analysis;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Optional;

/**
 * The patience rule of early stopping, the one both the engine ({@code early_stopping.ready}) and trainer-host's
 * {@code monitor.stop_early} use: an epoch improves on the best loss when {@code best - loss > minDelta × |best|}
 * (min_delta relative to the best value, so it means the same on every loss scale); once {@code patience} epochs
 * have passed since the best, the run is due to stop. A missing or non-finite loss never improves. O(1) state; one
 * instance per run, fed once per epoch in order.
 */
public final class Patience {

    private final int patience;
    private final double minDelta;
    private double best = Double.NaN;
    private int bestEpoch = -1;

    /**
     * @param patience epochs without improvement before stopping, ≥ 1
     * @param minDelta smallest decrease that counts, relative to the best value, ≥ 0
     */
    public Patience(int patience, double minDelta) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience: must be >= 1, was " + patience);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("min_delta: must be a finite number >= 0, was " + minDelta);
        }
        this.patience = patience;
        this.minDelta = minDelta;
    }

    /** Takes one epoch's loss; returns whether it is a new best. */
    public boolean observe(int epoch, Double loss) {
        if (loss != null && Double.isFinite(loss) && (bestEpoch < 0 || best - loss > minDelta * Math.abs(best))) {
            best = loss;
            bestEpoch = epoch;
            return true;
        }
        return false;
    }

    /** Whether {@code patience} epochs have passed since the best at {@code epoch}. */
    public boolean due(int epoch) {
        return bestEpoch >= 0 && epoch - bestEpoch >= patience;
    }

    /**
     * Takes one finished epoch and says why to stop after it, if patience has run out.
     *
     * @param metric the name of the watched loss, for the reason ({@code val_loss}, {@code train_loss})
     */
    public Optional<String> onEpoch(int epoch, Double loss, String metric) {
        if (observe(epoch, loss) || !due(epoch)) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT,
                "%s has not improved by more than min_delta %s (relative to the best: %s) for %d epochs (patience %d); "
                        + "best %s at epoch %d", metric, number(minDelta), number(minDelta * 100) + " %",
                epoch - bestEpoch, patience, number(best), bestEpoch));
    }

    /** The best loss so far; NaN before the first finite one. */
    public double best() {
        return best;
    }

    /** The epoch of the best loss; -1 before the first finite one. */
    public int bestEpoch() {
        return bestEpoch;
    }

    public int patience() {
        return patience;
    }

    public double minDelta() {
        return minDelta;
    }

    /** Four significant digits, no exponent, no trailing zeros: 0.4123, 0.0001, 12.35. */
    static String number(double v) {
        return new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }
}
