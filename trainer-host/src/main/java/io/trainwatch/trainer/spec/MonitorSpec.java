package io.trainwatch.trainer.spec;

import java.util.Map;

/** How the user wants the run watched; passed through to {@code run.started} for the analysis engine. */
public record MonitorSpec(Integer patience, Double minDelta, Map<String, Double> thresholds) {

    public MonitorSpec {
        thresholds = thresholds == null ? null : Map.copyOf(thresholds);
    }
}
