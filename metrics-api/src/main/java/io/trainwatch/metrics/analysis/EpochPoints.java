package io.trainwatch.metrics.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.analysis.AnalysisSettings;
import io.trainwatch.analysis.EpochPoint;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.metrics.read.EpochRow;

import java.util.LinkedHashMap;
import java.util.Map;

/** Conversions into the analysis engine's inputs. */
public final class EpochPoints {

    private EpochPoints() {
    }

    public static EpochPoint of(EpochCompleted e, Integer runTotalEpochs) {
        return new EpochPoint(e.epoch(), e.trainLoss(), e.valLoss(), e.trainAccuracy(), e.valAccuracy(),
                e.learningRate(), e.durationMs(), e.samplesPerSecond(), e.gradNorm(), e.gradNormMax(),
                e.layerGradNorms(), e.clippedSteps(), e.globalStep(),
                e.totalEpochs() != null ? e.totalEpochs() : runTotalEpochs);
    }

    public static EpochPoint of(EpochRow e, Integer runTotalEpochs) {
        return new EpochPoint(e.epoch(), e.trainLoss(), e.valLoss(), e.trainAccuracy(), e.valAccuracy(),
                e.learningRate(), e.durationMs(), e.samplesPerSecond(), e.gradNorm(), e.gradNormMax(),
                e.layerGradNorms(), e.clippedSteps(), e.globalStep(), runTotalEpochs);
    }

    /**
     * The run's settings: defaults overridden by the monitor of its run.started ({@code started.monitor}).
     *
     * @throws IllegalArgumentException for an unknown threshold name or an out-of-range value
     */
    public static AnalysisSettings settings(JsonNode started) {
        JsonNode monitor = started == null ? null : started.get("monitor");
        if (monitor == null || !monitor.isObject()) {
            return AnalysisSettings.defaults();
        }
        Integer patience = monitor.hasNonNull("patience") ? monitor.get("patience").asInt() : null;
        Double minDelta = monitor.hasNonNull("min_delta") ? monitor.get("min_delta").asDouble() : null;
        Map<String, Double> thresholds = null;
        JsonNode t = monitor.get("thresholds");
        if (t != null && t.isObject()) {
            thresholds = new LinkedHashMap<>();
            for (var it = t.fields(); it.hasNext(); ) {
                var f = it.next();
                thresholds.put(f.getKey(), f.getValue().asDouble());
            }
        }
        return AnalysisSettings.defaults().withOverrides(patience, minDelta, thresholds);
    }
}
