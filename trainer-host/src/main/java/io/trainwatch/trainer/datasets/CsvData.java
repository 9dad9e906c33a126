package io.trainwatch.trainer.datasets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a CSV (RFC 4180: quoted fields, blank lines and a UTF-8 byte order mark are fine) of numeric features and
 * one label column.
 * Classification labels that are all non-negative integers are used as class indexes; otherwise the distinct label
 * texts, sorted, become classes 0..K-1. Every problem names the file and the line.
 */
public final class CsvData {

    private static final CsvFactory CSV = CsvFactory.builder()
            .enable(CsvParser.Feature.TRIM_SPACES)
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
            .build();

    private CsvData() {
    }

    /** A parsed file before labels are turned into numbers, so train and validation files share one label mapping. */
    record Raw(List<float[]> rows, List<String> labels, int columns) {
    }

    static Raw read(String field, Path path, boolean header, String labelColumn, Integer limit) {
        try (Reader in = withoutByteOrderMark(Files.newBufferedReader(path, StandardCharsets.UTF_8));
             JsonParser records = CSV.createParser(in)) {
            int[] line = new int[1];
            String[] first = nextRecord(records, line);
            if (first == null) {
                throw new DatasetException(field, "\"" + path + "\" is empty");
            }
            int lineNo = line[0];
            int columns = first.length;
            if (columns < 2) {
                throw new DatasetException(field, "\"" + path + "\" line " + lineNo + ": needs at least 2 columns (features and a label), had " + columns);
            }
            int labelIndex = labelIndex(field, path, header ? first : null, labelColumn, columns);
            List<float[]> rows = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            if (!header) {
                addRow(field, path, first, lineNo, labelIndex, rows, labels);
            }
            String[] cells;
            while ((limit == null || rows.size() < limit) && (cells = nextRecord(records, line)) != null) {
                lineNo = line[0];
                if (cells.length != columns) {
                    throw new DatasetException(field, "\"" + path + "\" line " + lineNo + ": expected " + columns + " columns, had " + cells.length);
                }
                addRow(field, path, cells, lineNo, labelIndex, rows, labels);
            }
            if (rows.isEmpty()) {
                throw new DatasetException(field, "\"" + path + "\" has no data rows");
            }
            return new Raw(rows, labels, columns - 1);
        } catch (JsonProcessingException e) {
            // The parser's own message quotes the offending text: name only the place, never the file's content.
            throw new DatasetException(field, "\"" + path + "\" line " + lineOf(e) + ": not valid CSV (an unclosed quote?)");
        } catch (IOException e) {
            throw new DatasetException(field, "cannot read \"" + path + "\": " + e.getClass().getSimpleName(), e);
        }
    }

    /** The next record's cells, or null at the end; {@code line[0]} becomes the line its first cell is on. */
    private static String[] nextRecord(JsonParser records, int[] line) throws IOException {
        if (records.nextToken() != JsonToken.START_ARRAY) {
            return null;
        }
        List<String> cells = new ArrayList<>();
        while (records.nextToken() == JsonToken.VALUE_STRING) {
            if (cells.isEmpty()) {
                line[0] = records.currentTokenLocation().getLineNr();
            }
            cells.add(records.getText());
        }
        return cells.toArray(String[]::new);
    }

    private static int lineOf(Exception e) {
        Throwable t = e;
        while (t != null) {
            if (t instanceof JsonProcessingException p && p.getLocation() != null) {
                return p.getLocation().getLineNr();
            }
            t = t.getCause();
        }
        return -1;
    }

    /** Spreadsheet exports often start with a UTF-8 byte order mark; it is not part of the first header name. */
    private static Reader withoutByteOrderMark(BufferedReader in) throws IOException {
        in.mark(1);
        if (in.read() != '\uFEFF') {
            in.reset();
        }
        return in;
    }

    private static int labelIndex(String field, Path path, String[] header, String labelColumn, int columns) {
        if (labelColumn == null) {
            return columns - 1;
        }
        if (header != null) {
            for (int i = 0; i < header.length; i++) {
                if (header[i].equals(labelColumn)) {
                    return i;
                }
            }
        }
        try {
            int i = Integer.parseInt(labelColumn);
            if (i < 0 || i >= columns) {
                throw new DatasetException("dataset.label_column", "must be >= 0 and < " + columns + " (columns in \"" + path + "\"), was " + i);
            }
            return i;
        } catch (NumberFormatException e) {
            throw new DatasetException("dataset.label_column", "must name a column of \"" + path + "\""
                    // The header's names are the file's content: not echoed.
                    + (header == null ? " (it has no header: give a 0-based index)" : " in its header line, or be a 0-based index")
                    + ", was \"" + labelColumn + "\"");
        }
    }

    private static void addRow(String field, Path path, String[] cells, int lineNo, int labelIndex, List<float[]> rows, List<String> labels) {
        float[] row = new float[cells.length - 1];
        int j = 0;
        for (int i = 0; i < cells.length; i++) {
            if (i == labelIndex) {
                continue;
            }
            try {
                row[j++] = Float.parseFloat(cells[i]);
            } catch (NumberFormatException e) {
                // Names the place, not the cell: an error must not echo a file's content.
                throw new DatasetException(field, "\"" + path + "\" line " + lineNo + " column " + (i + 1) + ": must be a number");
            }
            if (!Float.isFinite(row[j - 1])) {
                throw new DatasetException(field, "\"" + path + "\" line " + lineNo + " column " + (i + 1) + ": must be finite");
            }
        }
        String label = cells[labelIndex];
        if (label.isEmpty()) {
            throw new DatasetException(field, "\"" + path + "\" line " + lineNo + ": the label is empty");
        }
        rows.add(row);
        labels.add(label);
    }

    /** Turns label texts into class indexes (shared mapping) or regression targets. */
    static Map<String, Integer> classMapping(List<String> labels, String field) {
        boolean allInts = labels.stream().allMatch(l -> l.matches("\\d{1,6}"));
        Map<String, Integer> mapping = new TreeMap<>();
        if (allInts) {
            for (String l : labels) {
                mapping.put(l, Integer.parseInt(l));
            }
        } else {
            List<String> distinct = labels.stream().distinct().sorted().toList();
            for (int i = 0; i < distinct.size(); i++) {
                mapping.put(distinct.get(i), i);
            }
        }
        if (mapping.size() > 1000) {
            throw new DatasetException(field, "has " + mapping.size() + " distinct labels; at most 1000 classes (regression? set dataset.task)");
        }
        return mapping;
    }

    static Samples toSamples(Raw raw, boolean regression, Map<String, Integer> mapping, int numClasses, String field, Path path) {
        int n = raw.rows().size();
        float[] x = new float[n * raw.columns()];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(raw.rows().get(i), 0, x, i * raw.columns(), raw.columns());
            String label = raw.labels().get(i);
            if (regression) {
                try {
                    y[i] = Float.parseFloat(label);
                } catch (NumberFormatException e) {
                    throw new DatasetException(field, "\"" + path + "\" row " + (i + 1) + ": regression label must be a number");
                }
            } else {
                Integer c = mapping.get(label);
                if (c == null) {
                    throw new DatasetException(field, "\"" + path + "\" row " + (i + 1) + ": its label does not occur in the training file");
                }
                y[i] = c;
            }
        }
        return new Samples(x, new long[] {raw.columns()}, y, regression ? 0 : numClasses);
    }
}
