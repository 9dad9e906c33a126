package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** Number and duration formatting shared by the commands; absent values print as "-". */
final class Fmt {

    private Fmt() {
    }

    /** A JSON number (or the strings "NaN"/"Infinity" the API uses for non-finite values) with 4 significant decimals. */
    static String num(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "-";
        }
        if (n.isTextual()) {
            return n.asText(); // NaN, Infinity: a fact worth showing as is
        }
        if (n.isIntegralNumber()) {
            return n.asText();
        }
        return num(n.asDouble());
    }

    static String num(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.toString(d);
        }
        double a = Math.abs(d);
        if (a != 0 && (a < 1e-3 || a >= 1e6)) {
            return String.format(Locale.ROOT, "%.3e", d);
        }
        return String.format(Locale.ROOT, "%.4f", d);
    }

    /** A fraction in [0,1] as a percentage, e.g. 0.853 → "85.3%". */
    static String percent(JsonNode n) {
        if (n == null || !n.isNumber()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f%%", n.asDouble() * 100.0);
    }

    /** Seconds as h:mm:ss or m:ss. */
    static String duration(double seconds) {
        if (Double.isNaN(seconds) || seconds < 0) {
            return "-";
        }
        long s = Math.round(seconds);
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
    }
}
