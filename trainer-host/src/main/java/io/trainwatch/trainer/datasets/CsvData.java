package io.trainwatch.trainer.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a CSV of numeric features and one label column (comma-separated, no quoting: feature files, not documents).
 * Classification labels that are all non-negative integers are used as class indexes; otherwise the distinct label
 * texts, sorted, become classes 0..K-1. Every problem names the file and the line.
 */
public final class CsvData {

    private CsvData() {
    }

    /** A parsed file before labels are turned into numbers, so train and validation files share one label mapping. */
    record Raw(List<float[]> rows, List<String> labels, int columns) {
    }

    static Raw read(String field, Path path, boolean header, String labelColumn, Integer limit) {
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line = in.readLine();
            int lineNo = 1;
            if (line == null) {
                throw new DatasetException(field, "\"" + path + "\" is empty");
            }
            String[] first = split(line);
            int columns = first.length;
            if (columns < 2) {
                throw new DatasetException(field, "\"" + path + "\" line 1: needs at least 2 columns (features and a label), had " + columns);
            }
            int labelIndex = labelIndex(field, path, header ? first : null, labelColumn, columns);
            List<float[]> rows = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            if (!header) {
                addRow(field, path, first, 1, labelIndex, rows, labels);
            }
            while ((line = in.readLine()) != null && (limit == null || rows.size() < limit)) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = split(line);
                if (cells.length != columns) {
                    throw new DatasetException(field, "\"" + path + "\" line " + lineNo + ": expected " + columns + " columns, had " + cells.length);
                }
                addRow(field, path, cells, lineNo, labelIndex, rows, labels);
            }
            if (rows.isEmpty()) {
                throw new DatasetException(field, "\"" + path + "\" has no data rows");
            }
            return new Raw(rows, labels, columns - 1);
        } catch (IOException e) {
            throw new DatasetException(field, "cannot read \"" + path + "\": " + e.getMessage(), e);
        }
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
                    + (header == null ? " (it has no header: give a 0-based index)" : ", one of " + Arrays.toString(header))
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
                throw new DatasetException(field, "\"" + path + "\" line " + lineNo + " column " + (i + 1)
                        + ": must be a number, was \"" + cells[i] + "\"");
            }
            if (!Float.isFinite(row[j - 1])) {
                throw new DatasetException(field, "\"" + path + "\" line " + lineNo + " column " + (i + 1) + ": must be finite, was " + cells[i]);
            }
        }
        String label = cells[labelIndex];
        if (label.isEmpty()) {
            throw new DatasetException(field, "\"" + path + "\" line " + lineNo + ": the label is empty");
        }
        rows.add(row);
        labels.add(label);
    }

    private static String[] split(String line) {
        String[] cells = line.split(",", -1);
        for (int i = 0; i < cells.length; i++) {
            cells[i] = cells[i].trim();
        }
        return cells;
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
                    throw new DatasetException(field, "\"" + path + "\" row " + (i + 1) + ": regression label must be a number, was \"" + label + "\"");
                }
            } else {
                Integer c = mapping.get(label);
                if (c == null) {
                    throw new DatasetException(field, "\"" + path + "\" row " + (i + 1) + ": label \"" + label + "\" does not occur in the training file");
                }
                y[i] = c;
            }
        }
        return new Samples(x, new long[] {raw.columns()}, y, regression ? 0 : numClasses);
    }
}
