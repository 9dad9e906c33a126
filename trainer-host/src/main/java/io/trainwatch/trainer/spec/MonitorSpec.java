package io.trainwatch.trainer.spec;

import io.trainwatch.analysis.AnalysisSettings;

import java.util.Map;

/**
 * How the user wants the run watched; passed through to {@code run.started} for the analysis engine.
 *
 * @param patience epochs without improvement before early stopping is due; null = the analysis engine's default
 * @param minDelta the smallest decrease of the best loss that counts as an improvement, relative to the best value;
 *     null = the analysis engine's default
 * @param stopEarly true: this host stops the run itself ({@code run.finished} {@code stopped_early}) once
 *     {@code patience} epochs passed without improvement — the same rule as the analysis engine's
 *     {@code early_stopping.ready}
 */
public record MonitorSpec(Integer patience, Double minDelta, Map<String, Double> thresholds, boolean stopEarly) {

    public MonitorSpec {
        thresholds = thresholds == null ? null : Map.copyOf(thresholds);
    }

    /** The patience in force: the user's, or the analysis engine's default. */
    public int effectivePatience() {
        return patience != null ? patience : AnalysisSettings.DEFAULT_PATIENCE;
    }

    /** The min_delta in force (relative to the best value): the user's, or the analysis engine's default. */
    public double effectiveMinDelta() {
        return minDelta != null ? minDelta : AnalysisSettings.DEFAULT_MIN_DELTA;
    }
}
