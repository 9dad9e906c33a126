package io.trainwatch.trainer.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns submitted JSON into a {@link JobSpec}: expands a {@code preset}, fills defaults, and checks every rule,
 * collecting all problems so one response names every bad field. Unknown fields are errors too, because a
 * misspelt {@code learning_rate} silently ignored would train something the user did not ask for.
 */
public final class JobSpecParser {

    public static final int MAX_EPOCHS = 10_000;
    public static final int MAX_BATCH_SIZE = 65_536;
    public static final int MAX_SAMPLES = 2_000_000;
    public static final int MAX_LAYERS = 16;
    public static final int MAX_WIDTH = 8_192;
    public static final List<String> DEVICES = List.of("auto", "cpu", "gpu");

    private static final Set<String> TOP = Set.of("preset", "name", "project", "tags", "model", "dataset", "epochs",
            "batch_size", "optimizer", "lr_schedule", "grad_clip", "seed", "device", "monitor", "step_sample_every");
    private static final Set<String> MODEL = Set.of("type", "hidden", "dropout", "channels");
    private static final Set<String> DATASET = Set.of("type", "train_size", "val_size", "noise", "seed", "classes",
            "features", "path", "labels_path", "val_path", "val_labels_path", "label_column", "header", "val_fraction",
            "task", "limit");
    private static final Set<String> OPTIMIZER = Set.of("type", "learning_rate", "momentum", "weight_decay");
    private static final Set<String> SCHEDULE = Set.of("type", "step_epochs", "gamma", "min_lr", "warmup_epochs",
            "warmup_start_factor", "after");
    private static final Set<String> MONITOR = Set.of("patience", "min_delta", "thresholds", "stop_early");

    private final List<FieldError> errors = new ArrayList<>();

    /** Null: paths are taken as given (trusted callers: tests, benchmarks). */
    private Path dataRoot;

    private JobSpecParser() {
    }

    /**
     * Parses a submitted spec. File paths are checked for existence here; their contents are checked by the dataset
     * loader, which the job manager runs before accepting the job.
     *
     * @throws InvalidSpecException naming every bad field
     */
    public static JobSpec parse(JsonNode submitted) {
        return parse(submitted, null);
    }

    /**
     * As {@link #parse(JsonNode)}, with every dataset file confined to {@code dataRoot}: a relative path resolves
     * against it, and the file's real path (symbolic links followed) must lie inside the root's real path — so an
     * API caller cannot make the host read any other file. The spec carries the checked real path.
     */
    public static JobSpec parse(JsonNode submitted, Path dataRoot) {
        if (submitted == null || !submitted.isObject()) {
            throw new InvalidSpecException("$", "must be a JSON object");
        }
        JsonNode expanded = Presets.expand((ObjectNode) submitted);
        JobSpecParser p = new JobSpecParser();
        p.dataRoot = dataRoot;
        JobSpec spec = p.read(expanded);
        if (!p.errors.isEmpty()) {
            throw new InvalidSpecException(p.errors);
        }
        return spec;
    }

    private JobSpec read(JsonNode n) {
        unknown(n, "", TOP);
        String preset = text(n, "preset", null, null);
        ModelSpec model = model(obj(n, "model"));
        DatasetSpec dataset = dataset(obj(n, "dataset"));
        int epochs = integer(n, "epochs", 10, 1, MAX_EPOCHS);
        OptimizerSpec optimizer = optimizer(obj(n, "optimizer"));
        LrScheduleSpec schedule = schedule(obj(n, "lr_schedule"));
        String defaultName = preset != null ? preset : (model == null || dataset == null ? "job" : dataset.type() + "-" + model.type());
        String name = text(n, "name", defaultName, null);
        if (name != null && name.length() > 200) {
            errors.add(new FieldError("name", "must be at most 200 characters, was " + name.length()));
        }
        String project = text(n, "project", "default", null);
        List<String> tags = strings(n, "tags");
        int batchSize = integer(n, "batch_size", 64, 1, MAX_BATCH_SIZE);
        Double gradClip = optDouble(n, "grad_clip", 0, false);
        long seed = longValue(n, "seed", 42);
        String device = text(n, "device", "auto", DEVICES);
        MonitorSpec monitor = monitor(n.get("monitor"));
        Integer stepSampleEvery = n.hasNonNull("step_sample_every") ? integer(n, "step_sample_every", 0, 1, 1_000_000) : null;
        if (model != null && dataset != null && model.type().equals("cnn") && !dataset.type().equals("idx")) {
            errors.add(new FieldError("model.type", "cnn needs image data (dataset.type idx), was dataset.type " + dataset.type()));
        }
        if (model == null || dataset == null || optimizer == null || schedule == null) {
            return null;
        }
        return new JobSpec(name, project, tags, model, dataset, epochs, batchSize, optimizer, schedule, gradClip, seed,
                device, monitor, stepSampleEvery, preset);
    }

    private ModelSpec model(JsonNode n) {
        unknown(n, "model.", MODEL);
        String type = text(n, "model.type", "mlp", ModelSpec.TYPES);
        List<Integer> hidden = ints(n, "model.hidden", List.of(64, 64));
        if (hidden.size() > MAX_LAYERS) {
            errors.add(new FieldError("model.hidden", "must have at most " + MAX_LAYERS + " layers, had " + hidden.size()));
        }
        for (int i = 0; i < hidden.size(); i++) {
            if (hidden.get(i) < 1 || hidden.get(i) > MAX_WIDTH) {
                errors.add(new FieldError("model.hidden[" + i + "]", "must be >= 1 and <= " + MAX_WIDTH + ", was " + hidden.get(i)));
            }
        }
        List<Integer> channels = ints(n, "model.channels", List.of(8, 16));
        if (channels.isEmpty() || channels.size() > 4) {
            errors.add(new FieldError("model.channels", "must have 1 to 4 entries, had " + channels.size()));
        }
        for (int i = 0; i < channels.size(); i++) {
            if (channels.get(i) < 1 || channels.get(i) > 512) {
                errors.add(new FieldError("model.channels[" + i + "]", "must be >= 1 and <= 512, was " + channels.get(i)));
            }
        }
        double dropout = number(n, "model.dropout", 0.0);
        if (dropout < 0 || dropout >= 1) {
            errors.add(new FieldError("model.dropout", "must be >= 0 and < 1, was " + dropout));
        }
        return type == null ? null : new ModelSpec(type, hidden, dropout, channels);
    }

    private DatasetSpec dataset(JsonNode n) {
        unknown(n, "dataset.", DATASET);
        String type = text(n, "dataset.type", "spirals", DatasetSpec.TYPES);
        int trainSize = integer(n, "dataset.train_size", 2000, 1, MAX_SAMPLES);
        int valSize = integer(n, "dataset.val_size", 1000, 1, MAX_SAMPLES);
        double noise = number(n, "dataset.noise", type != null && type.equals("regression") ? 0.1 : 0.2);
        if (noise < 0 || noise > 10) {
            errors.add(new FieldError("dataset.noise", "must be >= 0 and <= 10, was " + noise));
        }
        long seed = longValue(n, "dataset.seed", 7);
        int classes = integer(n, "dataset.classes", type != null && type.equals("blobs") ? 4 : 3, 2, 100);
        int features = integer(n, "dataset.features", 8, 1, 10_000);
        String path = text(n, "dataset.path", null, null);
        String labelsPath = text(n, "dataset.labels_path", null, null);
        String valPath = text(n, "dataset.val_path", null, null);
        String valLabelsPath = text(n, "dataset.val_labels_path", null, null);
        JsonNode lc = n.get("label_column");
        String labelColumn = null;
        if (lc != null && !lc.isNull()) {
            if (lc.isTextual() || lc.canConvertToInt()) {
                labelColumn = lc.asText();
            } else {
                errors.add(new FieldError("dataset.label_column", "must be a column name or a 0-based index"));
            }
        }
        boolean header = bool(n, "dataset.header", true);
        double valFraction = number(n, "dataset.val_fraction", 0.2);
        if (valFraction <= 0 || valFraction >= 1) {
            errors.add(new FieldError("dataset.val_fraction", "must be > 0 and < 1, was " + valFraction));
        }
        String task = text(n, "dataset.task", "classification", DatasetSpec.TASKS);
        Integer limit = n.hasNonNull("limit") ? integer(n, "dataset.limit", 0, 1, MAX_SAMPLES) : null;
        if (type == null) {
            return null;
        }
        if (type.equals("csv") || type.equals("idx")) {
            path = requireFile("dataset.path", path);
            if (valPath != null) {
                valPath = requireFile("dataset.val_path", valPath);
            }
        }
        if (type.equals("idx")) {
            labelsPath = requireFile("dataset.labels_path", labelsPath);
            if (valPath != null) {
                valLabelsPath = requireFile("dataset.val_labels_path", valLabelsPath);
            } else if (valLabelsPath != null) {
                errors.add(new FieldError("dataset.val_path", "is required when dataset.val_labels_path is given"));
            }
        }
        if (type.equals("regression")) {
            task = "regression";
        } else if (!type.equals("csv")) {
            task = "classification";
        }
        return new DatasetSpec(type, trainSize, valSize, noise, seed, classes, features, path, labelsPath, valPath,
                valLabelsPath, labelColumn, header, valFraction, task, limit);
    }

    /** The path to read (the checked real path under a data root), or {@code path} itself after an error. */
    private String requireFile(String field, String path) {
        if (path == null) {
            errors.add(new FieldError(field, "is required for this dataset type"));
            return null;
        }
        if (dataRoot != null) {
            return insideRoot(field, path);
        }
        try {
            Path p = Path.of(path);
            if (!Files.isRegularFile(p)) {
                errors.add(new FieldError(field, "must be a readable file, \"" + path + "\" does not exist or is not a file"));
            } else if (!Files.isReadable(p)) {
                errors.add(new FieldError(field, "must be a readable file, \"" + path + "\" cannot be read"));
            }
        } catch (RuntimeException e) {
            errors.add(new FieldError(field, "must be a file path, was \"" + path + "\" (" + e.getMessage() + ")"));
        }
        return path;
    }

    private String insideRoot(String field, String path) {
        String rule = "must be a readable file inside the data root (trainwatch.trainer.data-root), was \"" + path + "\"";
        try {
            Path root = dataRoot.toRealPath();
            Path real = root.resolve(path).normalize().toRealPath();
            if (!real.startsWith(root) || !Files.isRegularFile(real) || !Files.isReadable(real)) {
                errors.add(new FieldError(field, rule));
                return path;
            }
            return real.toString();
        } catch (java.io.IOException | RuntimeException e) {
            // Missing, unreadable or outside: one answer, so the API is no oracle for files outside the root.
            errors.add(new FieldError(field, rule));
            return path;
        }
    }

    private OptimizerSpec optimizer(JsonNode n) {
        unknown(n, "optimizer.", OPTIMIZER);
        String type = text(n, "optimizer.type", "adam", OptimizerSpec.TYPES);
        double lr = number(n, "optimizer.learning_rate", "sgd".equals(type) ? 0.05 : 0.001);
        if (!(lr > 0) || lr > 100) {
            errors.add(new FieldError("optimizer.learning_rate", "must be > 0 and <= 100, was " + lr));
        }
        Double momentum = null;
        if ("sgd".equals(type)) {
            momentum = number(n, "optimizer.momentum", 0.0);
            if (momentum < 0 || momentum >= 1) {
                errors.add(new FieldError("optimizer.momentum", "must be >= 0 and < 1, was " + momentum));
            }
        } else if (n.hasNonNull("momentum")) {
            errors.add(new FieldError("optimizer.momentum", "applies to sgd only, optimizer.type is " + type));
        }
        double wd = number(n, "optimizer.weight_decay", 0.0);
        if (wd < 0 || wd > 10) {
            errors.add(new FieldError("optimizer.weight_decay", "must be >= 0 and <= 10, was " + wd));
        }
        return type == null ? null : new OptimizerSpec(type, lr, momentum, wd);
    }

    private LrScheduleSpec schedule(JsonNode n) {
        unknown(n, "lr_schedule.", SCHEDULE);
        String type = text(n, "lr_schedule.type", "constant", LrScheduleSpec.TYPES);
        int stepEpochs = integer(n, "lr_schedule.step_epochs", 10, 1, MAX_EPOCHS);
        double gamma = number(n, "lr_schedule.gamma", 0.1);
        if (!(gamma > 0) || gamma > 1) {
            errors.add(new FieldError("lr_schedule.gamma", "must be > 0 and <= 1, was " + gamma));
        }
        double minLr = number(n, "lr_schedule.min_lr", 0.0);
        if (minLr < 0) {
            errors.add(new FieldError("lr_schedule.min_lr", "must be >= 0, was " + minLr));
        }
        double warmupEpochs = number(n, "lr_schedule.warmup_epochs", 1.0);
        if (!(warmupEpochs > 0) || warmupEpochs > MAX_EPOCHS) {
            errors.add(new FieldError("lr_schedule.warmup_epochs", "must be > 0, was " + warmupEpochs));
        }
        double startFactor = number(n, "lr_schedule.warmup_start_factor", 0.0);
        if (startFactor < 0 || startFactor > 1) {
            errors.add(new FieldError("lr_schedule.warmup_start_factor", "must be >= 0 and <= 1, was " + startFactor));
        }
        String after = text(n, "lr_schedule.after", "constant", LrScheduleSpec.AFTER_WARMUP);
        return type == null || after == null ? null
                : new LrScheduleSpec(type, stepEpochs, gamma, minLr, warmupEpochs, startFactor, after);
    }

    private MonitorSpec monitor(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            errors.add(new FieldError("monitor", "must be an object"));
            return null;
        }
        unknown(n, "monitor.", MONITOR);
        Integer patience = n.hasNonNull("patience") ? integer(n, "monitor.patience", 0, 1, MAX_EPOCHS) : null;
        Double minDelta = optDouble(n, "monitor.min_delta", 0, true);
        Map<String, Double> thresholds = null;
        JsonNode t = n.get("thresholds");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                errors.add(new FieldError("monitor.thresholds", "must be an object of name → number"));
            } else {
                thresholds = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().isNumber()) {
                        errors.add(new FieldError("monitor.thresholds." + e.getKey(), "must be a number"));
                    } else {
                        thresholds.put(e.getKey(), e.getValue().asDouble());
                    }
                }
            }
        }
        boolean stopEarly = bool(n, "monitor.stop_early", false);
        return new MonitorSpec(patience, minDelta, thresholds, stopEarly);
    }

    // --- readers: each returns the default when absent and records an error (returning the default) when invalid

    private JsonNode obj(JsonNode parent, String name) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        if (!n.isObject()) {
            errors.add(new FieldError(name, "must be an object"));
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        return n;
    }

    private void unknown(JsonNode n, String prefix, Set<String> known) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                errors.add(new FieldError(prefix + f, "is not a known field; known fields are " + known.stream().sorted().toList()));
            }
        }
    }

    private static String leaf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    private String text(JsonNode n, String path, String def, List<String> allowed) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            errors.add(new FieldError(path, "must be a string" + (allowed == null ? "" : ", one of " + allowed)));
            return null;
        }
        String s = v.asText();
        if (allowed != null && !allowed.contains(s)) {
            errors.add(new FieldError(path, "must be one of " + allowed + ", was \"" + s + "\""));
            return null;
        }
        if (s.isBlank()) {
            errors.add(new FieldError(path, "must not be blank"));
            return def;
        }
        return s;
    }

    private int integer(JsonNode n, String path, int def, int min, int max) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            errors.add(new FieldError(path, "must be an integer, was " + v));
            return def;
        }
        int i = v.intValue();
        if (i < min || i > max) {
            errors.add(new FieldError(path, "must be >= " + min + " and <= " + max + ", was " + i));
            return def;
        }
        return i;
    }

    private long longValue(JsonNode n, String path, long def) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            errors.add(new FieldError(path, "must be an integer, was " + v));
            return def;
        }
        return v.longValue();
    }

    private double number(JsonNode n, String path, double def) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            errors.add(new FieldError(path, "must be a finite number, was " + v));
            return def;
        }
        return v.doubleValue();
    }

    private Double optDouble(JsonNode n, String path, double min, boolean inclusive) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            errors.add(new FieldError(path, "must be a finite number or null, was " + v));
            return null;
        }
        double d = v.doubleValue();
        if (inclusive ? d < min : d <= min) {
            errors.add(new FieldError(path, "must be " + (inclusive ? ">= " : "> ") + min + ", was " + d));
            return null;
        }
        return d;
    }

    private boolean bool(JsonNode n, String path, boolean def) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isBoolean()) {
            errors.add(new FieldError(path, "must be true or false, was " + v));
            return def;
        }
        return v.booleanValue();
    }

    private List<Integer> ints(JsonNode n, String path, List<Integer> def) {
        JsonNode v = n.get(leaf(path));
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isArray()) {
            errors.add(new FieldError(path, "must be an array of integers, was " + v));
            return def;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                errors.add(new FieldError(path + "[" + i + "]", "must be an integer, was " + e));
            } else {
                out.add(e.intValue());
            }
        }
        return out;
    }

    private List<String> strings(JsonNode n, String path) {
        JsonNode v = n.get(path);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            errors.add(new FieldError(path, "must be an array of strings, was " + v));
            return List.of();
        }
        if (v.size() > 64) {
            errors.add(new FieldError(path, "must have at most 64 entries, had " + v.size()));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || e.asText().isBlank() || e.asText().length() > 100) {
                errors.add(new FieldError(path + "[" + i + "]", "must be a non-blank string of at most 100 characters, was " + e));
            } else {
                out.add(e.asText());
            }
        }
        return out;
    }
}
