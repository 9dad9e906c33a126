package io.trainwatch.metrics.read;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Reduces a history to at most {@code maxPoints} rows without hiding what matters. Always kept: the first and the last
 * row, and for each selected numeric field the row with its minimum, the row with its maximum and the first row where
 * it is not finite (a NaN loss is the moment a run diverged). The remaining budget goes to equal buckets of the rows,
 * each contributing the rows with the minimum and maximum of the primary field (M4-style), so the shape of the curve
 * survives. When the always-kept rows alone exceed {@code maxPoints} they are all returned: extremes are never dropped.
 */
public final class Downsampler {

    private Downsampler() {
    }

    public static <R extends HistoryRow> List<R> downsample(List<R> rows, List<String> fields, int maxPoints) {
        if (rows.size() <= maxPoints) {
            return rows;
        }
        List<String> numeric = new ArrayList<>();
        for (String f : fields) {
            if (isNumericField(rows, f)) {
                numeric.add(f);
            }
        }
        TreeSet<Integer> keep = new TreeSet<>();
        keep.add(0);
        keep.add(rows.size() - 1);
        for (String f : numeric) {
            addExtremes(rows, f, 0, rows.size(), keep, true);
        }
        int budget = maxPoints - keep.size();
        String primary = primary(numeric);
        if (budget >= 2 && primary != null) {
            int buckets = budget / 2;
            int n = rows.size();
            for (int b = 0; b < buckets; b++) {
                int from = (int) ((long) b * n / buckets);
                int to = (int) ((long) (b + 1) * n / buckets);
                addExtremes(rows, primary, from, to, keep, false);
            }
            // Bucket extremes may coincide with kept rows; when distinct rows overflow the budget, thin the bucket rows.
            while (keep.size() > maxPoints) {
                if (!removeOneBucketRow(rows, keep, numeric)) {
                    break;
                }
            }
        } else if (budget > 0) {
            // No numeric field to follow: evenly spaced rows.
            int n = rows.size();
            for (int i = 1; i <= budget; i++) {
                keep.add((int) ((long) i * (n - 1) / (budget + 1)));
            }
        }
        List<R> out = new ArrayList<>(keep.size());
        for (int i : keep) {
            out.add(rows.get(i));
        }
        return out;
    }

    private static boolean removeOneBucketRow(List<? extends HistoryRow> rows, TreeSet<Integer> keep, List<String> numeric) {
        TreeSet<Integer> mandatory = new TreeSet<>();
        mandatory.add(0);
        mandatory.add(rows.size() - 1);
        for (String f : numeric) {
            addExtremes(rows, f, 0, rows.size(), mandatory, true);
        }
        for (Integer i : keep.descendingSet()) {
            if (!mandatory.contains(i)) {
                keep.remove(i);
                return true;
            }
        }
        return false;
    }

    private static String primary(List<String> numeric) {
        for (String preferred : List.of("val_loss", "train_loss", "loss")) {
            if (numeric.contains(preferred)) {
                return preferred;
            }
        }
        return numeric.isEmpty() ? null : numeric.get(0);
    }

    private static boolean isNumericField(List<? extends HistoryRow> rows, String field) {
        for (HistoryRow row : rows) {
            Object v = row.get(field);
            if (v != null) {
                return v instanceof Number;
            }
        }
        return false;
    }

    private static void addExtremes(List<? extends HistoryRow> rows, String field, int from, int to,
                                    TreeSet<Integer> keep, boolean withFirstNonFinite) {
        int min = -1;
        int max = -1;
        double minV = Double.POSITIVE_INFINITY;
        double maxV = Double.NEGATIVE_INFINITY;
        boolean nonFiniteSeen = false;
        for (int i = from; i < to; i++) {
            Object v = rows.get(i).get(field);
            if (!(v instanceof Number number)) {
                continue;
            }
            double d = number.doubleValue();
            if (!Double.isFinite(d)) {
                if (withFirstNonFinite && !nonFiniteSeen) {
                    keep.add(i);
                    nonFiniteSeen = true;
                }
                continue;
            }
            if (d < minV) {
                minV = d;
                min = i;
            }
            if (d > maxV) {
                maxV = d;
                max = i;
            }
        }
        if (min >= 0) {
            keep.add(min);
        }
        if (max >= 0) {
            keep.add(max);
        }
    }
}
