package io.trainwatch.metrics;

import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunStarted;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Realistic test events: a run like the trainer's MLP presets, with every epoch field filled. */
public final class TestRuns {

    private TestRuns() {
    }

    public static String newRunId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    public static RunStarted started(String runId, String project, int totalEpochs) {
        return new RunStarted(1, runId, "spirals-mlp", project, List.of("baseline", "test"),
                new RunStarted.Model("mlp[128,128]", 17_410L), Map.of("learning_rate", 0.001, "batch_size", 64),
                new RunStarted.Dataset("spirals", 2000L, 1000L, Map.of("0", 0.5, "1", 0.5)), "cpu", "host-1",
                totalEpochs, new RunStarted.Monitor(10, 1e-4, null), Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** A minimal run.started body for POST /api/v1/runs. */
    public static String startedJson(String runId, String project) {
        return "{\"run_id\":\"" + runId + "\",\"name\":\"posted\",\"project\":\"" + project + "\",\"total_epochs\":3}";
    }

    /** Epoch {@code e} of a run that learns; every field present, six parameter gradient norms, one user metric. */
    public static EpochCompleted epoch(String runId, int e, int total) {
        double train = 1.0 / (1 + e * 0.1);
        double val = 1.05 / (1 + e * 0.08) + 0.0001 * e;
        return EpochCompleted.builder(runId, e)
                .optTotalEpochs(total)
                .optGlobalStep((e + 1) * 32L)
                .optEmittedAt(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(e * 3L))
                .optTrainLoss(train)
                .optValLoss(val)
                .optTrainAccuracy(1 - train / 2)
                .optValAccuracy(1 - val / 2)
                .optLearningRate(0.001)
                .optDurationMs(850L + e % 7)
                .optSamplesPerSecond(2400.5 + e)
                .optGradNorm(0.5 / (1 + e))
                .optGradNormMax(1.5 / (1 + e))
                .optLayerGradNorms(Map.of("fc1.weight", 0.31 / (1 + e), "fc1.bias", 0.02 / (1 + e),
                        "fc2.weight", 0.27 / (1 + e), "fc2.bias", 0.015 / (1 + e),
                        "out.weight", 0.19 / (1 + e), "out.bias", 0.01 / (1 + e)))
                .optParamNorm(12.5 + e * 0.01)
                .optClippedSteps(0)
                .optMemoryBytes(123_456_789L)
                .build();
    }
}
