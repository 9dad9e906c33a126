package io.trainwatch.analysis;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;

/** Numbers for verdicts and sentences: rounding, formatting, evidence maps. */
final class Fmt {

    private static final MathContext FOUR_DIGITS = new MathContext(4);

    private Fmt() {
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

    static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
    }

    /** A number for a sentence: 4 significant digits, no exponent for everyday magnitudes. */
    static String fmt(Double v) {
        if (v == null || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        if (v == 0) {
            return "0";
        }
        // From the shortest decimal that reads back as v (what a person sees printed), not from the double's exact
        // binary expansion: that one costs a big-integer division per number, and the analysis writes sentences on
        // every epoch.
        BigDecimal d = BigDecimal.valueOf(v).round(FOUR_DIGITS).stripTrailingZeros();
        double a = Math.abs(v);
        return a < 1e-3 || a >= 1e6 ? d.toString() : d.toPlainString();
    }

    static String pct(double fraction) {
        return fmt(Math.round(fraction * 1000) / 10.0) + " %";
    }

    static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** An evidence map from key, value pairs; doubles rounded. */
    static Map<String, Object> params(Object... keyValues) {
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
}
