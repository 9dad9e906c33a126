package io.trainwatch.trainer.spec;

import java.util.List;

/**
 * Where the data comes from. Synthetic sets ({@code spirals}, {@code blobs}, {@code regression}) are generated from
 * {@code seed}; {@code csv} and {@code idx} read user files.
 *
 * @param classes number of spiral arms or blob centres (synthetic classification)
 * @param features input dimensions of {@code blobs} and {@code regression}
 * @param path CSV file, or IDX images file
 * @param labelsPath IDX labels file
 * @param valPath validation CSV / IDX images file; when absent, {@code valFraction} of the data is held out
 * @param valLabelsPath IDX validation labels file
 * @param labelColumn CSV label column: a header name or a 0-based index; null = the last column
 * @param header whether the CSV's first line names the columns
 * @param task {@code classification} or {@code regression} (CSV only; the others know theirs)
 * @param limit read at most this many samples from a file (null = all)
 */
public record DatasetSpec(
        String type,
        int trainSize,
        int valSize,
        double noise,
        long seed,
        int classes,
        int features,
        String path,
        String labelsPath,
        String valPath,
        String valLabelsPath,
        String labelColumn,
        boolean header,
        double valFraction,
        String task,
        Integer limit) {

    public static final List<String> TYPES = List.of("spirals", "blobs", "regression", "csv", "idx");
    public static final List<String> TASKS = List.of("classification", "regression");

    public boolean fromFile() {
        return type.equals("csv") || type.equals("idx");
    }
}
