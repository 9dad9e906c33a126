package io.trainwatch.metrics.read;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The query rules shared by {@code /metrics} and {@code /steps}: only rows whose key is greater than {@code since}
 * (the last key the client already has), only the {@code fields} asked for (the key always), at most
 * {@code maxPoints} rows chosen so that first, last, minima and maxima survive, as JSON or CSV.
 *
 * @param since rows with key strictly greater than this; null for all
 * @param fields selected fields in the order asked, or every field of the series when none were asked for
 * @param maxPoints null for no downsampling
 */
public record HistoryQuery(Long since, List<String> fields, Integer maxPoints, Format format) {

    public static final int MAX_POINTS_LIMIT = 100_000;

    /** Response formats. */
    public enum Format { JSON, CSV }

    /**
     * Parses the raw query parameters against the fields a series has.
     *
     * @param sinceName the parameter name, for messages ({@code since_epoch} or {@code since_step})
     */
    public static HistoryQuery parse(String sinceName, String since, String fields, String maxPoints, String format,
                                     List<String> allowedFields) {
        Long sinceValue = null;
        if (since != null && !since.isBlank()) {
            try {
                sinceValue = Long.parseLong(since.trim());
            } catch (NumberFormatException e) {
                throw new QueryParameterException(sinceName, "must be an integer, was \"" + abbreviate(since) + "\"");
            }
        }
        List<String> selected = new ArrayList<>();
        if (fields != null && !fields.isBlank()) {
            for (String raw : fields.split(",")) {
                String f = raw.trim();
                if (f.isEmpty() || selected.contains(f)) {
                    continue;
                }
                if (!allowedFields.contains(f)) {
                    throw new QueryParameterException("fields", "must name fields among " + String.join(", ", allowedFields)
                            + ", was \"" + abbreviate(f) + "\"");
                }
                selected.add(f);
            }
        }
        if (selected.isEmpty()) {
            selected.addAll(allowedFields);
        }
        Integer max = null;
        if (maxPoints != null && !maxPoints.isBlank()) {
            try {
                max = Integer.parseInt(maxPoints.trim());
            } catch (NumberFormatException e) {
                throw new QueryParameterException("max_points", "must be an integer, was \"" + abbreviate(maxPoints) + "\"");
            }
            if (max < 2 || max > MAX_POINTS_LIMIT) {
                throw new QueryParameterException("max_points", "must be >= 2 and <= " + MAX_POINTS_LIMIT + ", was " + max);
            }
        }
        Format fmt = Format.JSON;
        if (format != null && !format.isBlank()) {
            switch (format.trim().toLowerCase(Locale.ROOT)) {
                case "json" -> fmt = Format.JSON;
                case "csv" -> fmt = Format.CSV;
                default -> throw new QueryParameterException("format", "must be json or csv, was \"" + abbreviate(format) + "\"");
            }
        }
        return new HistoryQuery(sinceValue, List.copyOf(selected), max, fmt);
    }

    /** A stable text of this query, part of the ETag: two requests that read the same rows the same way share it. */
    public String canonical() {
        return "since=" + since + ";fields=" + String.join(",", fields) + ";max=" + maxPoints + ";fmt=" + format;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
