package io.trainwatch.contracts;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code run.started}: what is being trained, on what, and how the user wants it watched.
 * Only {@code run_id} is required; everything unknown is left out.
 *
 * @param hyperparameters free-form name → value (numbers, strings, booleans)
 * @param monitor the user's overrides: analysis (patience, min delta, thresholds), passed to the analysis engine, and
 *        liveness (stall after seconds)
 */
public record RunStarted(
        int schemaVersion,
        String runId,
        String name,
        String project,
        List<String> tags,
        Model model,
        Map<String, Object> hyperparameters,
        Dataset dataset,
        String device,
        String host,
        Integer totalEpochs,
        Monitor monitor,
        Instant startedAt) implements TrainwatchEvent {

    public RunStarted {
        schemaVersion = Events.schemaVersion(schemaVersion);
        Limits.runId("run_id", runId);
        Limits.text("name", name, Limits.MAX_NAME_LENGTH);
        Limits.text("project", project, Limits.MAX_NAME_LENGTH);
        tags = tags == null ? null : List.copyOf(Limits.tags("tags", tags));
        hyperparameters = Limits.map("hyperparameters", hyperparameters, Limits.MAX_HYPERPARAMETERS);
        Limits.text("device", device, Limits.MAX_NAME_LENGTH);
        Limits.text("host", host, Limits.MAX_NAME_LENGTH);
        Limits.positive("total_epochs", totalEpochs);
    }

    /** Minimal constructor for partial reporters. */
    public static RunStarted of(String runId) {
        return new RunStarted(CURRENT_SCHEMA_VERSION, runId, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Override
    public EventType type() {
        return EventType.RUN_STARTED;
    }

    /** The model: architecture in words and its number of trainable parameters. */
    public record Model(String architecture, Long parameterCount) {
        public Model {
            Limits.text("model.architecture", architecture, Limits.MAX_TEXT_LENGTH);
            Limits.nonNegative("model.parameter_count", parameterCount);
        }
    }

    /** The data: name, split sizes, and the share of each class in the training split. */
    public record Dataset(String name, Long trainSize, Long valSize, Map<String, Double> classBalance) {
        public Dataset {
            Limits.text("dataset.name", name, Limits.MAX_NAME_LENGTH);
            Limits.nonNegative("dataset.train_size", trainSize);
            Limits.nonNegative("dataset.val_size", valSize);
            classBalance = Limits.map("dataset.class_balance", classBalance, Limits.MAX_EXTRA);
        }
    }

    /**
     * How the run wants to be watched. {@code thresholds} overrides analysis defaults by rule name
     * (e.g. {@code "gradients.exploding": 50}); docs/analysis.md lists the names. {@code stallAfterSeconds} replaces
     * the pace-derived silence after which the running run is taken for {@code stalled} (docs/api.md).
     */
    public record Monitor(Integer patience, Double minDelta, Map<String, Double> thresholds, Integer stallAfterSeconds) {
        public Monitor {
            Limits.positive("monitor.patience", patience);
            Limits.nonNegative("monitor.min_delta", minDelta);
            thresholds = Limits.map("monitor.thresholds", thresholds, Limits.MAX_EXTRA);
            Limits.positiveAtMost("monitor.stall_after_seconds", stallAfterSeconds, Limits.MAX_STALL_AFTER_SECONDS);
        }

        /** The analysis overrides only; liveness keeps its pace-derived limit. */
        public Monitor(Integer patience, Double minDelta, Map<String, Double> thresholds) {
            this(patience, minDelta, thresholds, null);
        }
    }
}
