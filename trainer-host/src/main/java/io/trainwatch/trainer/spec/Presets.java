package io.trainwatch.trainer.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named specs whose training really shows one behaviour, for demos, examples and end-to-end tests.
 * {@code {"preset": "overfit", "epochs": 30}} expands to the preset's full spec with the given fields laid over it
 * (objects merge field by field, everything else replaces). docs/trainer-host.md explains why each one behaves as
 * it does; the tests in {@code PresetBehaviourTest} prove it.
 */
public final class Presets {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tuned on a 2-core machine: each epoch takes roughly 0.1–0.6 s, each preset finishes well under a minute. */
    private static final Map<String, String> SPECS = new LinkedHashMap<>();

    static {
        // Both losses fall to the end: plenty of clean data, a right-sized MLP, Adam with cosine decay.
        SPECS.put("healthy", """
                {"name": "healthy-spirals", "project": "presets", "tags": ["preset", "healthy"],
                 "model": {"type": "mlp", "hidden": [64, 64], "dropout": 0.0},
                 "dataset": {"type": "spirals", "train_size": 10000, "val_size": 4000, "noise": 0.15, "classes": 3, "seed": 11},
                 "epochs": 20, "batch_size": 64,
                 "optimizer": {"type": "adam", "learning_rate": 0.003, "weight_decay": 0.0},
                 "lr_schedule": {"type": "cosine", "min_lr": 0.0002}, "seed": 11}
                """);
        // A wide, unregularised MLP memorises 200 samples of heavily overlapping blobs: validation loss bottoms out
        // after a few epochs and then climbs steadily while training loss heads for zero. The large validation set
        // is what makes each epoch last long enough to watch.
        SPECS.put("overfit", """
                {"name": "overfit-blobs", "project": "presets", "tags": ["preset", "overfit"],
                 "model": {"type": "mlp", "hidden": [512, 512], "dropout": 0.0},
                 "dataset": {"type": "blobs", "train_size": 200, "val_size": 40000, "noise": 1.0, "classes": 4, "features": 16, "seed": 7},
                 "epochs": 60, "batch_size": 16,
                 "optimizer": {"type": "adam", "learning_rate": 0.0002, "weight_decay": 0.0},
                 "lr_schedule": {"type": "constant"}, "seed": 5}
                """);
        // Learns for four epochs, then the step schedule cuts the learning rate 1000-fold: both losses flatten far
        // above what the model could reach ("learning rate decayed too early").
        SPECS.put("plateau", """
                {"name": "plateau-spirals", "project": "presets", "tags": ["preset", "plateau"],
                 "model": {"type": "mlp", "hidden": [32], "dropout": 0.0},
                 "dataset": {"type": "spirals", "train_size": 12000, "val_size": 4000, "noise": 0.15, "classes": 3, "seed": 3},
                 "epochs": 24, "batch_size": 64,
                 "optimizer": {"type": "adam", "learning_rate": 0.01, "weight_decay": 0.0},
                 "lr_schedule": {"type": "step", "step_epochs": 4, "gamma": 0.001}, "seed": 3}
                """);
        // A linear warm-up drives SGD with momentum past the stable step size on a regression task: the loss falls
        // for two epochs, rises, explodes, and turns NaN around epoch 6; the run then ends failed.
        SPECS.put("diverge", """
                {"name": "diverge-regression", "project": "presets", "tags": ["preset", "diverge"],
                 "model": {"type": "mlp", "hidden": [64, 64], "dropout": 0.0},
                 "dataset": {"type": "regression", "train_size": 12000, "val_size": 4000, "noise": 0.1, "features": 8, "seed": 9},
                 "epochs": 20, "batch_size": 64,
                 "optimizer": {"type": "sgd", "learning_rate": 0.3, "momentum": 0.9, "weight_decay": 0.0},
                 "lr_schedule": {"type": "warmup", "warmup_epochs": 20, "warmup_start_factor": 0.001, "after": "constant"},
                 "seed": 9}
                """);
    }

    private Presets() {
    }

    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    /** The preset's full spec as JSON, unexpanded by any override. */
    public static ObjectNode spec(String name) {
        String json = SPECS.get(name);
        if (json == null) {
            throw new InvalidSpecException("preset", "must be one of " + names() + ", was \"" + name + "\"");
        }
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(json);
            node.put("preset", name);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The submitted spec itself when it names no preset; otherwise the preset with the submitted fields laid over. */
    public static JsonNode expand(ObjectNode submitted) {
        JsonNode preset = submitted.get("preset");
        if (preset == null || preset.isNull()) {
            return submitted;
        }
        if (!preset.isTextual()) {
            throw new InvalidSpecException("preset", "must be one of " + names() + ", was " + preset);
        }
        ObjectNode base = spec(preset.asText());
        merge(base, submitted);
        return base;
    }

    private static void merge(ObjectNode base, JsonNode over) {
        for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = base.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue().isObject()) {
                // A different type replaces the whole object: the preset's type-specific knobs would not fit it.
                JsonNode newType = e.getValue().get("type");
                if (newType != null && !newType.equals(eo.get("type"))) {
                    base.set(e.getKey(), e.getValue().deepCopy());
                } else {
                    merge(eo, e.getValue());
                }
            } else {
                base.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }
}
