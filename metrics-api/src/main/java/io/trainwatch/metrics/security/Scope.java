package io.trainwatch.metrics.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a token may do. {@code admin} implies every other scope. */
public enum Scope {
    /** REST reads, SSE, CSV, compare, MCP read tools. */
    READ,
    /** HTTP ingest: POST runs, metrics, steps, finish. */
    INGEST,
    /** Cancel (REST and MCP) and delete runs. */
    CONTROL,
    /** Token management and the audit log. */
    ADMIN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static String names() {
        return Arrays.stream(values()).map(Scope::wire).collect(Collectors.joining(", "));
    }

    /** The scope named {@code text}; the error names {@code field} and the allowed values. */
    public static Scope parse(String field, String text) {
        for (Scope s : values()) {
            if (s.wire().equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException(field + ": must be one of " + names() + ", was \"" + text + "\"");
    }
}
