package io.trainwatch.metrics.store;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.trainwatch.metrics.read.HistoryRow;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes history rows as JSON (the contract's snake_case field names, non-finite numbers as "NaN"/"Infinity" strings,
 * absent values left out) or as CSV (maps flattened to {@code layer_grad_norms.<name>} columns, absent values empty).
 */
public final class HistoryWriter {

    private HistoryWriter() {
    }

    /**
     * {@code {"run_id": …, "<rowsName>": [{…}, …], "count": n, "downsampled": bool}}.
     */
    public static byte[] json(ObjectMapper mapper, String runId, String keyName, String rowsName,
                              List<? extends HistoryRow> rows, List<String> fields, boolean downsampled) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + rows.size() * 64 * Math.max(1, fields.size()) / 4);
        try (JsonGenerator g = mapper.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("run_id", runId);
            g.writeNumberField("count", rows.size());
            g.writeBooleanField("downsampled", downsampled);
            g.writeArrayFieldStart(rowsName);
            for (HistoryRow row : rows) {
                writeRow(g, row, keyName, fields);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** One row as a JSON object, for SSE and embedding. */
    public static void writeRow(JsonGenerator g, HistoryRow row, String keyName, List<String> fields) throws IOException {
        g.writeStartObject();
        g.writeNumberField(keyName, row.key());
        for (String f : fields) {
            Object v = row.get(f);
            if (v == null) {
                continue;
            }
            g.writeFieldName(f);
            writeValue(g, v);
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v instanceof Double d) {
            g.writeNumber(d); // WRITE_NAN_AS_STRINGS turns NaN and Infinity into strings
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Instant t) {
            g.writeString(t.toString());
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else {
            g.writeString(String.valueOf(v));
        }
    }

    /** CSV with a header row; RFC 4180 quoting where a name needs it. */
    public static byte[] csv(String keyName, List<? extends HistoryRow> rows, List<String> fields) {
        List<String> columns = new ArrayList<>();
        List<String[]> columnSources = new ArrayList<>(); // {field, mapKey or null}
        for (String f : fields) {
            if (isMapField(rows, f)) {
                Set<String> keys = new LinkedHashSet<>();
                for (HistoryRow row : rows) {
                    if (row.get(f) instanceof Map<?, ?> m) {
                        for (Object k : m.keySet()) {
                            keys.add(String.valueOf(k));
                        }
                    }
                }
                for (String k : keys) {
                    columns.add(f + "." + k);
                    columnSources.add(new String[] {f, k});
                }
            } else {
                columns.add(f);
                columnSources.add(new String[] {f, null});
            }
        }
        StringBuilder sb = new StringBuilder(64 + rows.size() * 16 * (columns.size() + 1));
        sb.append(keyName);
        for (String c : columns) {
            sb.append(',').append(quote(c));
        }
        sb.append("\r\n");
        for (HistoryRow row : rows) {
            sb.append(row.key());
            for (String[] src : columnSources) {
                sb.append(',');
                Object v = row.get(src[0]);
                if (src[1] != null) {
                    v = v instanceof Map<?, ?> m ? m.get(src[1]) : null;
                }
                if (v != null) {
                    sb.append(v instanceof Instant t ? t.toString() : quote(String.valueOf(v)));
                }
            }
            sb.append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isMapField(List<? extends HistoryRow> rows, String field) {
        for (HistoryRow row : rows) {
            Object v = row.get(field);
            if (v != null) {
                return v instanceof Map;
            }
        }
        return field.equals("layer_grad_norms") || field.equals("extra");
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
