package io.trainwatch.contracts;

import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Hard limits on every event, checked when a record is built (and so when one is decoded), so that a hostile
 * or buggy producer cannot make a consumer allocate without bound. docs/contracts.md lists them.
 */
public final class Limits {

    /** Largest encoded event accepted by the codec. A 10,000-layer model with 100-character names fits. */
    public static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;
    public static final int MAX_RUN_ID_LENGTH = 128;
    /** Run ids are URL- and Kafka-key-safe: letters, digits, '.', '_', '-', ':'. */
    public static final Pattern RUN_ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");
    public static final int MAX_NAME_LENGTH = 200;
    public static final int MAX_TEXT_LENGTH = 4000;
    public static final int MAX_TAGS = 64;
    public static final int MAX_TAG_LENGTH = 100;
    public static final int MAX_KEY_LENGTH = 256;
    public static final int MAX_LAYERS = 10_000;
    public static final int MAX_EXTRA = 256;
    public static final int MAX_HYPERPARAMETERS = 256;
    public static final int MAX_EPOCH = 10_000_000;
    /** Longest per-run stall limit ({@code monitor.stall_after_seconds}): 7 days, longer than any epoch we expect. */
    public static final int MAX_STALL_AFTER_SECONDS = 7 * 24 * 3600;
    /**
     * Most events in one HTTP ingest request. Checked before anything is published, so a request is taken whole or
     * refused whole; 1,000 keeps one request well inside the API's Kafka send buffer.
     */
    public static final int MAX_EVENTS_PER_REQUEST = 1_000;
    /** Largest HTTP ingest request body: one event of the largest size, or many small ones. */
    public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
    public static final int MAX_EVENT_ID_LENGTH = 128;
    /** Producer-chosen event ids (used as ce_id) are URL- and header-safe: letters, digits, '.', '_', '-', ':'. */
    public static final Pattern EVENT_ID_PATTERN = Pattern.compile("[A-Za-z0-9._:-]+");

    private Limits() {
    }

    public static String runId(String field, String value) {
        String v = required(field, value);
        if (length(v) > MAX_RUN_ID_LENGTH) {
            throw new EventValidationException(field, "must be at most " + MAX_RUN_ID_LENGTH + " characters, was " + length(v));
        }
        if (!RUN_ID_PATTERN.matcher(v).matches()) {
            throw new EventValidationException(field,
                    "must start with a letter or digit and contain only letters, digits, '.', '_', '-', ':', was \"" + abbreviate(v) + "\"");
        }
        return v;
    }

    /** An event id chosen by the producer (HTTP ingest's {@code event_id}): 1 to 128 of [A-Za-z0-9._:-]. */
    public static String eventId(String field, String value) {
        String v = required(field, value);
        if (length(v) > MAX_EVENT_ID_LENGTH) {
            throw new EventValidationException(field, "must be at most " + MAX_EVENT_ID_LENGTH + " characters, was " + length(v));
        }
        if (!EVENT_ID_PATTERN.matcher(v).matches()) {
            throw new EventValidationException(field,
                    "must contain only letters, digits, '.', '_', '-', ':', was \"" + abbreviate(v) + "\"");
        }
        return v;
    }

    public static <T> T required(String field, T value) {
        if (value == null) {
            throw new EventValidationException(field, "is required");
        }
        if (value instanceof String s && s.isBlank()) {
            throw new EventValidationException(field, "must not be blank");
        }
        return value;
    }

    /**
     * Limits count Unicode code points, as JSON Schema's {@code maxLength} does, so that the schema and the records
     * accept the same strings also for characters outside the Basic Multilingual Plane (emoji, rare CJK).
     */
    public static String text(String field, String value, int max) {
        if (value != null) {
            int length = length(value);
            if (length > max) {
                throw new EventValidationException(field, "must be at most " + max + " characters, was " + length);
            }
            storable(field, value);
        }
        return value;
    }

    /**
     * Refuses text that PostgreSQL cannot store (it has no NUL in text or jsonb) or that is not valid Unicode (a lone
     * surrogate has no UTF-8 form): found only after an event was accepted, it would be dead-lettered, not stored.
     */
    private static void storable(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new EventValidationException(field, "must not contain the NUL character (\\u0000), found at index " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new EventValidationException(field, "must be valid Unicode, has a lone surrogate "
                        + String.format("\\u%04x", (int) c) + " at index " + i);
            }
        }
    }

    /**
     * Free-form values (hyperparameters): every string inside, however deep, obeys {@link #text}; so do the keys of
     * nested objects.
     */
    public static void freeForm(String field, Object value) {
        if (value instanceof String s) {
            text(field, s, MAX_TEXT_LENGTH);
        } else if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                text(field, key, MAX_KEY_LENGTH);
                freeForm(field + "." + abbreviate(key), e.getValue());
            }
        } else if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                freeForm(field + "[" + i++ + "]", item);
            }
        }
    }

    /** A share or confidence: a finite number within [0, 1]. */
    public static Double fraction(String field, Double value) {
        if (value != null && !(value >= 0.0 && value <= 1.0)) {
            throw new EventValidationException(field, "must be >= 0 and <= 1, was " + value);
        }
        return value;
    }

    public static Integer epoch(String field, Integer value) {
        if (value != null && (value < 0 || value > MAX_EPOCH)) {
            throw new EventValidationException(field, "must be >= 0 and <= " + MAX_EPOCH + ", was " + value);
        }
        return value;
    }

    public static Integer positive(String field, Integer value) {
        if (value != null && value < 1) {
            throw new EventValidationException(field, "must be >= 1, was " + value);
        }
        return value;
    }

    public static Integer positiveAtMost(String field, Integer value, int max) {
        if (value != null && (value < 1 || value > max)) {
            throw new EventValidationException(field, "must be >= 1 and <= " + max + ", was " + value);
        }
        return value;
    }

    public static <N extends Number> N nonNegative(String field, N value) {
        if (value != null && value.doubleValue() < 0) {
            throw new EventValidationException(field, "must be >= 0, was " + value);
        }
        return value;
    }

    /** A measured rate, norm or duration: NaN and Infinity are facts worth keeping, negatives are not. */
    public static Double nonNegativeOrNonFinite(String field, Double value) {
        if (value != null && !value.isNaN() && value < 0) {
            throw new EventValidationException(field, "must be >= 0 (or NaN/Infinity), was " + value);
        }
        return value;
    }

    public static <V> Map<String, V> map(String field, Map<String, V> map, int maxEntries) {
        if (map == null) {
            return null;
        }
        if (map.size() > maxEntries) {
            throw new EventValidationException(field, "must have at most " + maxEntries + " entries, had " + map.size());
        }
        for (Map.Entry<String, V> e : map.entrySet()) {
            String k = e.getKey();
            if (k == null || k.isEmpty()) {
                throw new EventValidationException(field, "keys must not be empty");
            }
            if (length(k) > MAX_KEY_LENGTH) {
                throw new EventValidationException(field + "." + abbreviate(k), "key must be at most " + MAX_KEY_LENGTH + " characters, was " + length(k));
            }
            text(field, k, MAX_KEY_LENGTH);
            if (e.getValue() == null) {
                throw new EventValidationException(field + "." + k, "must not be null (leave the entry out when unknown)");
            }
            freeForm(field + "." + abbreviate(k), e.getValue());
        }
        return Map.copyOf(map);
    }

    public static <T extends Collection<String>> T tags(String field, T tags) {
        if (tags == null) {
            return null;
        }
        if (tags.size() > MAX_TAGS) {
            throw new EventValidationException(field, "must have at most " + MAX_TAGS + " entries, had " + tags.size());
        }
        int i = 0;
        for (String t : tags) {
            if (t == null || t.isBlank()) {
                throw new EventValidationException(field + "[" + i + "]", "must not be blank");
            }
            text(field + "[" + i + "]", t, MAX_TAG_LENGTH);
            i++;
        }
        return tags;
    }

    /** Length in Unicode code points, the unit of every character limit here and of JSON Schema. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
