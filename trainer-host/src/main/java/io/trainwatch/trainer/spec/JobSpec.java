package io.trainwatch.trainer.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A complete, validated training job: every default filled in. Built by {@link JobSpecParser} from the JSON a user
 * submits (after {@link Presets} expansion), so the training code never has to guess.
 *
 * @param gradClip global L2 norm above which each step's gradients are scaled down; null = no clipping
 * @param device {@code auto}, {@code cpu} or {@code gpu}
 * @param stepSampleEvery emit a {@code step.sampled} every this many optimizer steps; null = the host's default
 * @param preset the preset this spec was expanded from, if any
 */
public record JobSpec(
        String name,
        String project,
        List<String> tags,
        ModelSpec model,
        DatasetSpec dataset,
        int epochs,
        int batchSize,
        OptimizerSpec optimizer,
        LrScheduleSpec lrSchedule,
        Double gradClip,
        long seed,
        String device,
        MonitorSpec monitor,
        Integer stepSampleEvery,
        String preset) {

    public JobSpec {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** The hyperparameters as {@code run.started} carries them: flat, name → number/string/boolean. */
    public Map<String, Object> hyperparameters() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("epochs", epochs);
        h.put("batch_size", batchSize);
        h.put("optimizer", optimizer.type());
        h.put("learning_rate", optimizer.learningRate());
        if (optimizer.momentum() != null) {
            h.put("momentum", optimizer.momentum());
        }
        h.put("weight_decay", optimizer.weightDecay());
        h.put("lr_schedule", lrSchedule.type());
        lrSchedule.parameters().forEach((k, v) -> h.put("lr_schedule." + k, v));
        h.put("model", model.type());
        h.put("hidden", model.hidden().toString());
        h.put("dropout", model.dropout());
        if (gradClip != null) {
            h.put("grad_clip", gradClip);
        }
        h.put("seed", seed);
        h.put("dataset", dataset.type());
        if (monitor != null && monitor.stopEarly()) {
            h.put("stop_early", true);
        }
        if (preset != null) {
            h.put("preset", preset);
        }
        return h;
    }
}
