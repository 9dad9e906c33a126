package io.trainwatch.analysis;

/**
 * A fixed-capacity window of (epoch, value) pairs, oldest overwritten first. It is what keeps the engine's memory
 * per run bounded by its windows instead of by the length of the run.
 */
final class Ring {
    private final double[] xs;
    private final double[] ys;
    private int start;
    private int size;

    Ring(int capacity) {
        xs = new double[capacity];
        ys = new double[capacity];
    }

    void add(double x, double y) {
        int cap = xs.length;
        if (size < cap) {
            int i = (start + size) % cap;
            xs[i] = x;
            ys[i] = y;
            size++;
        } else {
            xs[start] = x;
            ys[start] = y;
            start = (start + 1) % cap;
        }
    }

    int size() {
        return size;
    }

    int capacity() {
        return xs.length;
    }

    /** The i-th oldest epoch (0 = oldest kept). */
    double x(int i) {
        return xs[(start + i) % xs.length];
    }

    /** The i-th oldest value (0 = oldest kept). */
    double y(int i) {
        return ys[(start + i) % ys.length];
    }

    double lastY() {
        return y(size - 1);
    }

    double lastX() {
        return x(size - 1);
    }

    /** Mean of the newest {@code n} values. */
    double meanLast(int n) {
        n = Math.min(n, size);
        double s = 0;
        for (int i = size - n; i < size; i++) {
            s += y(i);
        }
        return s / n;
    }

    /** Least-squares fit of the newest {@code n} points (two passes over the arrays, no index arithmetic). */
    Fit fit(int n) {
        n = Math.min(n, size);
        if (n < 2) {
            return null;
        }
        int cap = xs.length;
        int first = (start + size - n) % cap;
        double mx = 0;
        double my = 0;
        for (int k = 0, i = first; k < n; k++) {
            mx += xs[i];
            my += ys[i];
            if (++i == cap) {
                i = 0;
            }
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int k = 0, i = first; k < n; k++) {
            double dx = xs[i] - mx;
            double dy = ys[i] - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
            if (++i == cap) {
                i = 0;
            }
        }
        if (sxx == 0) {
            return null;
        }
        double slope = sxy / sxx;
        double rss = Math.max(0, syy - slope * sxy);
        double residualSd = n > 2 ? Math.sqrt(rss / (n - 2)) : 0;
        double se = n > 2 ? residualSd / Math.sqrt(sxx) : Double.POSITIVE_INFINITY;
        return new Fit(slope, my, mx, residualSd, se, n);
    }

    /** Fraction of consecutive changes among the newest {@code n} values that reverse direction. */
    double oscillation(int n) {
        n = Math.min(n, size);
        int changes = 0;
        int pairs = 0;
        double prevDiff = 0;
        for (int i = size - n + 1; i < size; i++) {
            double d = y(i) - y(i - 1);
            if (d == 0) {
                continue;
            }
            if (prevDiff != 0) {
                pairs++;
                if (Math.signum(d) != Math.signum(prevDiff)) {
                    changes++;
                }
            }
            prevDiff = d;
        }
        return pairs == 0 ? 0 : (double) changes / pairs;
    }

    /** Median of the newest {@code n} values. */
    double median(int n) {
        n = Math.min(n, size);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = y(size - n + i);
        }
        java.util.Arrays.sort(v);
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * Robust noise of the newest {@code n} values: median absolute first difference / (0.6745·√2), the standard
     * deviation of white noise that would give those differences; a trend barely moves it, a single spike not at all.
     */
    double diffNoise(int n) {
        n = Math.min(n, size);
        if (n < 3) {
            return Double.NaN;
        }
        double[] d = new double[n - 1];
        for (int i = 0; i < n - 1; i++) {
            d[i] = Math.abs(y(size - n + i + 1) - y(size - n + i));
        }
        java.util.Arrays.sort(d);
        int m = d.length;
        double med = m % 2 == 1 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
        return med / (0.6745 * Math.sqrt(2));
    }

    /**
     * Robust trend of the newest {@code n} points: the Theil-Sen slope (median of the pairwise slopes) and the
     * Mann-Kendall z statistic of its direction. An early drop or a few spikes in the window barely move either,
     * where they would dominate a least-squares slope. {slope, z}; null for fewer than 4 points.
     */
    double[] robustTrend(int n) {
        n = Math.min(n, size);
        if (n < 4) {
            return null;
        }
        int from = size - n;
        double[] slopes = new double[n * (n - 1) / 2];
        int k = 0;
        long s = 0;
        for (int i = from; i < size; i++) {
            double xi = x(i);
            double yi = y(i);
            for (int j = i + 1; j < size; j++) {
                double dy = y(j) - yi;
                slopes[k++] = dy / (x(j) - xi);
                s += dy > 0 ? 1 : dy < 0 ? -1 : 0;
            }
        }
        java.util.Arrays.sort(slopes, 0, k);
        double median = k % 2 == 1 ? slopes[k / 2] : (slopes[k / 2 - 1] + slopes[k / 2]) / 2;
        double variance = n * (n - 1.0) * (2 * n + 5) / 18.0;
        double z = s == 0 ? 0 : (s - Math.signum(s)) / Math.sqrt(variance);
        return new double[] {median, z};
    }

    /** A least-squares line: slope, mean level and mean epoch, residual sd, standard error of the slope. */
    record Fit(double slope, double meanY, double meanX, double residualSd, double slopeSe, int n) {
        double at(double x) {
            return meanY + slope * (x - meanX);
        }

        /** |slope| in standard errors; large means the direction is not noise. */
        double tStat() {
            return slopeSe == 0 ? (slope == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.abs(slope) / slopeSe;
        }
    }
}
