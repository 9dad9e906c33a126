package io.trainwatch.metrics.read;

/** One point of a run's history (an epoch or a sampled step), read field by field for selection, downsampling and CSV. */
public interface HistoryRow {

    /** The row's key: its epoch, or its global step. */
    long key();

    /** The value of a field by its snake_case name: a Number, an Instant, a Map of numbers, or null when absent. */
    Object get(String field);
}
