package io.trainwatch.trainer.datasets;

import io.trainwatch.trainer.spec.DatasetSpec;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Makes the training and validation data a {@link DatasetSpec} describes. */
public final class Datasets {

    private Datasets() {
    }

    /**
     * Generates or loads the data. Files are read completely here, so a malformed file fails the submission (the
     * job manager calls this before accepting a job), not epoch 3.
     *
     * @throws DatasetException naming the field and, for files, the line or offset
     */
    public static TrainValData load(DatasetSpec spec) {
        return switch (spec.type()) {
            case "spirals" -> synthetic(spec, "spirals", (n, r) -> SyntheticData.spirals(n, spec.classes(), spec.noise(), r));
            case "blobs" -> synthetic(spec, "blobs", (n, r) -> SyntheticData.blobs(n, spec.classes(), spec.features(), spec.noise(), spec.seed(), r));
            case "regression" -> synthetic(spec, "regression", (n, r) -> SyntheticData.regression(n, spec.features(), spec.noise(), spec.seed(), r));
            case "csv" -> csv(spec);
            case "idx" -> idx(spec);
            default -> throw new DatasetException("dataset.type", "must be one of " + DatasetSpec.TYPES + ", was \"" + spec.type() + "\"");
        };
    }

    private interface Generator {
        Samples make(int size, Random random);
    }

    private static TrainValData synthetic(DatasetSpec spec, String name, Generator generator) {
        // Separate streams for the two splits: the same task, independent samples.
        Samples train = generator.make(spec.trainSize(), new Random(spec.seed()));
        Samples val = generator.make(spec.valSize(), new Random(spec.seed() * 31 + 17));
        return new TrainValData(name, train, val);
    }

    private static TrainValData csv(DatasetSpec spec) {
        boolean regression = spec.task().equals("regression");
        Path path = Path.of(spec.path());
        CsvData.Raw trainRaw = CsvData.read("dataset.path", path, spec.header(), spec.labelColumn(), spec.limit());
        CsvData.Raw valRaw = spec.valPath() == null ? null
                : CsvData.read("dataset.val_path", Path.of(spec.valPath()), spec.header(), spec.labelColumn(), spec.limit());
        if (valRaw != null && valRaw.columns() != trainRaw.columns()) {
            throw new DatasetException("dataset.val_path", "must have the same columns as dataset.path (" + (trainRaw.columns() + 1)
                    + "), had " + (valRaw.columns() + 1));
        }
        Map<String, Integer> mapping = regression ? null : CsvData.classMapping(trainRaw.labels(), "dataset.path");
        int numClasses = regression ? 0 : mapping.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        if (!regression && numClasses < 2) {
            throw new DatasetException("dataset.path", "\"" + path + "\" has only one class; classification needs at least 2 (regression? set dataset.task)");
        }
        Samples all = CsvData.toSamples(trainRaw, regression, mapping, numClasses, "dataset.path", path);
        TrainValData split = valRaw == null
                ? holdOut(spec, "csv:" + path.getFileName(), all)
                : new TrainValData("csv:" + path.getFileName(), all,
                        CsvData.toSamples(valRaw, regression, mapping, numClasses, "dataset.val_path", Path.of(spec.valPath())));
        return standardise(split);
    }

    private static TrainValData idx(DatasetSpec spec) {
        Samples all = IdxData.samples("dataset.path", Path.of(spec.path()), "dataset.labels_path", Path.of(spec.labelsPath()), spec.limit());
        if (all.numClasses() < 2) {
            throw new DatasetException("dataset.labels_path", "\"" + spec.labelsPath() + "\" has only one class; at least 2 are needed");
        }
        String name = "idx:" + Path.of(spec.path()).getFileName();
        if (spec.valPath() == null) {
            return holdOut(spec, name, all);
        }
        Samples val = IdxData.samples("dataset.val_path", Path.of(spec.valPath()), "dataset.val_labels_path", Path.of(spec.valLabelsPath()), spec.limit());
        if (!java.util.Arrays.equals(val.sampleShape(), all.sampleShape())) {
            throw new DatasetException("dataset.val_path", "images must have the shape of dataset.path's " + java.util.Arrays.toString(all.sampleShape())
                    + ", had " + java.util.Arrays.toString(val.sampleShape()));
        }
        if (val.numClasses() > all.numClasses()) {
            throw new DatasetException("dataset.val_labels_path", "has class " + (val.numClasses() - 1) + ", which the training labels never use");
        }
        return new TrainValData(name, all, new Samples(val.features(), val.sampleShape(), val.labels(), all.numClasses()));
    }

    /** Shuffles with the dataset seed and holds out {@code val_fraction} (at least one sample each side). */
    private static TrainValData holdOut(DatasetSpec spec, String name, Samples all) {
        if (all.size() < 2) {
            throw new DatasetException("dataset.path", "needs at least 2 samples to hold out a validation split, had " + all.size());
        }
        int[] order = new int[all.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Random r = new Random(spec.seed());
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int valCount = Math.max(1, Math.min(all.size() - 1, (int) Math.round(all.size() * spec.valFraction())));
        return new TrainValData(name,
                all.select(java.util.Arrays.copyOfRange(order, valCount, order.length)),
                all.select(java.util.Arrays.copyOfRange(order, 0, valCount)));
    }

    /** Z-scores CSV features with the training split's mean and deviation: user files come in any units. */
    private static TrainValData standardise(TrainValData d) {
        int cols = d.train().featuresPerSample();
        double[] mean = new double[cols];
        double[] sq = new double[cols];
        float[] x = d.train().features();
        int n = d.train().size();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                mean[j] += x[i * cols + j];
            }
        }
        for (int j = 0; j < cols; j++) {
            mean[j] /= n;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                double v = x[i * cols + j] - mean[j];
                sq[j] += v * v;
            }
        }
        double[] sd = new double[cols];
        for (int j = 0; j < cols; j++) {
            sd[j] = Math.sqrt(sq[j] / n);
            if (sd[j] < 1e-12) {
                sd[j] = 1;
            }
        }
        return new TrainValData(d.name(), scale(d.train(), mean, sd), scale(d.val(), mean, sd));
    }

    private static Samples scale(Samples s, double[] mean, double[] sd) {
        int cols = mean.length;
        float[] out = new float[s.features().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((s.features()[i] - mean[i % cols]) / sd[i % cols]);
        }
        return new Samples(out, s.sampleShape(), s.labels(), s.numClasses());
    }
}
