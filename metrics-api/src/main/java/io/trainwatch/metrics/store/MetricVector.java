package io.trainwatch.metrics.store;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Packs a name → number map (per-layer gradient norms, user metrics) into 8 bytes per value, in the order of a name
 * list stored once per run. Cheaper than jsonb (names repeated on every row) and than float8[] (24-byte array header):
 * it is what keeps an epoch row inside the storage budget.
 *
 * <p>A name the epoch did not report is written as {@link #ABSENT}, a NaN with a payload that no JSON "NaN" produces,
 * so that a reported NaN (a fact worth keeping) stays distinguishable from "not measured".
 */
public final class MetricVector {

    /** Raw bits of the "not reported" marker: a quiet NaN with a payload; Double.NaN is 0x7ff8000000000000. */
    static final long ABSENT = 0x7ff80000dead0001L;

    private MetricVector() {
    }

    /**
     * Appends to {@code names} (in place) the names of {@code values} it does not hold yet, in sorted order so that
     * the list does not depend on map iteration order. Returns whether it grew.
     */
    public static boolean extendNames(List<String> names, Map<String, Double> values) {
        if (values == null || values.isEmpty()) {
            return false;
        }
        List<String> added = new ArrayList<>();
        for (String name : values.keySet()) {
            if (!names.contains(name)) {
                added.add(name);
            }
        }
        if (added.isEmpty()) {
            return false;
        }
        added.sort(null);
        names.addAll(added);
        return true;
    }

    /** Packs {@code values} against {@code names}, which must contain every key; null for an absent map. */
    public static byte[] pack(List<String> names, Map<String, Double> values) {
        if (values == null) {
            return null;
        }
        // Trailing names the epoch did not report are left out: shorter rows for runs whose layers changed.
        int last = -1;
        for (int i = 0; i < names.size(); i++) {
            if (values.containsKey(names.get(i))) {
                last = i;
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate((last + 1) * Double.BYTES);
        for (int i = 0; i <= last; i++) {
            Double v = values.get(names.get(i));
            if (v == null) {
                buffer.putLong(ABSENT);
            } else {
                buffer.putLong(Double.doubleToRawLongBits(v));
            }
        }
        if (values.size() > last + 1 && values.keySet().stream().anyMatch(k -> !names.contains(k))) {
            throw new IllegalArgumentException("names must contain every key of the values; extendNames first");
        }
        return buffer.array();
    }

    static final String LAYER_PREFIX = "layer_grad_norms.";
    static final String EXTRA_PREFIX = "extra.";

    /** Layer gradient norms and user metrics as one map of qualified names; null when both are absent. */
    public static Map<String, Double> qualify(Map<String, Double> layerGradNorms, Map<String, Double> extra) {
        if ((layerGradNorms == null || layerGradNorms.isEmpty()) && (extra == null || extra.isEmpty())) {
            return null;
        }
        Map<String, Double> all = new LinkedHashMap<>();
        if (layerGradNorms != null) {
            layerGradNorms.forEach((k, v) -> all.put(LAYER_PREFIX + k, v));
        }
        if (extra != null) {
            extra.forEach((k, v) -> all.put(EXTRA_PREFIX + k, v));
        }
        return all;
    }

    /** The layer gradient norms of a qualified map; null when there are none. */
    public static Map<String, Double> layers(Map<String, Double> qualified) {
        return part(qualified, LAYER_PREFIX);
    }

    /** The user metrics of a qualified map; null when there are none. */
    public static Map<String, Double> extra(Map<String, Double> qualified) {
        return part(qualified, EXTRA_PREFIX);
    }

    private static Map<String, Double> part(Map<String, Double> qualified, String prefix) {
        if (qualified == null) {
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        qualified.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out.isEmpty() ? null : out;
    }

    /** The map packed by {@link #pack}, in name-list order; null when nothing was stored. */
    public static Map<String, Double> unpack(List<String> names, byte[] packed) {
        if (packed == null) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(packed);
        int count = Math.min(names.size(), packed.length / Double.BYTES);
        Map<String, Double> values = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long bits = buffer.getLong();
            if (bits != ABSENT) {
                values.put(names.get(i), Double.longBitsToDouble(bits));
            }
        }
        return values;
    }
}
