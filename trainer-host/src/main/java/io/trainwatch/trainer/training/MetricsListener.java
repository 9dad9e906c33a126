package io.trainwatch.trainer.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.djl.util.cuda.CudaUtils;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.TrainwatchEvent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures everything {@code epoch.completed} carries and emits it, plus a {@code step.sampled} every N steps.
 *
 * <p>Gradients exist only in {@link #onTrainingBatch}: after backward, before the optimizer step (which consumes
 * them). So that is where the per-parameter L2 norms are taken — one fused reduction and a single device-to-host
 * copy per step — and also where gradient clipping happens: the listener already holds every gradient and the
 * global norm, and DJL's own {@code optClipGrad} clips element-wise and cannot count clipped steps.
 *
 * <p>Must be registered after the {@link EvaluatorTrainingListener} so its {@code onEpoch} sees the epoch's losses.
 */
public final class MetricsListener extends TrainingListenerAdapter {

    private final String runId;
    private final int totalEpochs;
    private final Tracker learningRate;
    private final EvaluatorTrainingListener evaluator;
    private final RunEventSink sink;
    private final int stepSampleEvery;
    private final boolean classification;
    private final Double gradClip;
    private final Device device;

    private long globalStep;
    private int epoch;
    private long epochStartNanos;
    private long trainingEndNanos;
    private long samples;
    private int steps;
    private double gradNormSum;
    private double gradNormMax;
    private int clippedSteps;
    private double[] layerNormSums;
    private List<String> parameterNames;
    private EpochCompleted lastEpoch;

    public MetricsListener(String runId, int totalEpochs, Tracker learningRate, EvaluatorTrainingListener evaluator,
                           RunEventSink sink, int stepSampleEvery, boolean classification, Double gradClip, Device device) {
        this.runId = runId;
        this.totalEpochs = totalEpochs;
        this.learningRate = learningRate;
        this.evaluator = evaluator;
        this.sink = sink;
        this.stepSampleEvery = stepSampleEvery;
        this.classification = classification;
        this.gradClip = gradClip;
        this.device = device;
    }

    /** Called by the training loop before the first batch of an epoch. */
    public void beginEpoch(int epoch) {
        this.epoch = epoch;
        this.epochStartNanos = System.nanoTime();
        this.trainingEndNanos = 0;
        this.samples = 0;
        this.steps = 0;
        this.gradNormSum = 0;
        this.gradNormMax = 0;
        this.clippedSteps = 0;
        this.layerNormSums = null;
    }

    /** Called by the training loop after the last training batch, before validation. */
    public void endTrainingPhase() {
        trainingEndNanos = System.nanoTime();
    }

    @Override
    public void onValidationBatch(Trainer trainer, BatchData batchData) {
        sink.progressed(runId);
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        sink.progressed(runId);
        globalStep++;
        steps++;
        samples += batchData.getBatch().getSize();
        List<Pair<String, Parameter>> params = trainableParameters(trainer);
        if (layerNormSums == null) {
            layerNormSums = new double[params.size()];
        }
        double globalNorm;
        try (NDManager scratch = trainer.getManager().newSubManager()) {
            NDArray[] grads = new NDArray[params.size()];
            NDArray[] squares = new NDArray[params.size()];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = params.get(i).getValue().getArray().getGradient();
                grads[i].attach(scratch);
                squares[i] = grads[i].square().sum();
            }
            float[] sq = NDArrays.stack(new NDList(squares)).toFloatArray();
            double total = 0;
            for (int i = 0; i < sq.length; i++) {
                layerNormSums[i] += Math.sqrt(sq[i]);
                total += sq[i];
            }
            globalNorm = Math.sqrt(total);
            if (gradClip != null && Double.isFinite(globalNorm) && globalNorm > gradClip) {
                // In place: the optimizer step that follows reads these very gradients.
                float scale = (float) (gradClip / globalNorm);
                for (NDArray g : grads) {
                    g.muli(scale);
                }
                clippedSteps++;
            }
        }
        gradNormSum += globalNorm;
        if (!(globalNorm <= gradNormMax)) {
            gradNormMax = globalNorm; // also takes NaN, which must show
        }
        if (stepSampleEvery > 0 && globalStep % stepSampleEvery == 0) {
            sink.publish(new StepSampled(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, epoch, globalStep, Instant.now(),
                    stepLoss(trainer, batchData), (double) learningRate.getNewValue((int) globalStep), globalNorm));
        }
    }

    private static Double stepLoss(Trainer trainer, BatchData batchData) {
        double sum = 0;
        int n = 0;
        for (Device d : batchData.getLabels().keySet()) {
            try (NDArray loss = trainer.getLoss().evaluate(batchData.getLabels().get(d), batchData.getPredictions().get(d))) {
                sum += loss.getFloat();
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    @Override
    public void onEpoch(Trainer trainer) {
        long now = System.nanoTime();
        long trainingNanos = (trainingEndNanos == 0 ? now : trainingEndNanos) - epochStartNanos;
        Map<String, Float> ev = evaluator.getLatestEvaluations();
        Map<String, Double> layers = new LinkedHashMap<>();
        List<String> names = parameterNames(trainer);
        if (layerNormSums != null && steps > 0) {
            for (int i = 0; i < names.size(); i++) {
                layers.put(names.get(i), layerNormSums[i] / steps);
            }
        }
        EpochCompleted.Builder b = EpochCompleted.builder(runId, epoch)
                .optTotalEpochs(totalEpochs)
                .optGlobalStep(globalStep)
                .optEmittedAt(Instant.now())
                .optTrainLoss(value(ev, "train_loss"))
                .optValLoss(value(ev, "validate_loss"))
                .optLearningRate(globalStep == 0 ? null : (double) learningRate.getNewValue((int) globalStep))
                .optDurationMs((now - epochStartNanos) / 1_000_000)
                .optSamplesPerSecond(trainingNanos > 0 ? samples / (trainingNanos / 1e9) : null)
                .optGradNorm(steps == 0 ? null : gradNormSum / steps)
                .optGradNormMax(steps == 0 ? null : gradNormMax)
                .optLayerGradNorms(layers.isEmpty() ? null : layers)
                .optParamNorm(paramNorm(trainer))
                .optClippedSteps(clippedSteps)
                .optMemoryBytes(memoryBytes(device));
        if (classification) {
            b.optTrainAccuracy(value(ev, "train_Accuracy")).optValAccuracy(value(ev, "validate_Accuracy"));
        }
        lastEpoch = b.build();
        sink.publish(lastEpoch);
    }

    /** The epoch just reported, or null before the first. */
    public EpochCompleted lastEpoch() {
        return lastEpoch;
    }

    public long globalStep() {
        return globalStep;
    }

    private static Double value(Map<String, Float> ev, String key) {
        Float f = ev.get(key);
        return f == null ? null : f.doubleValue();
    }

    private static List<Pair<String, Parameter>> trainableParameters(Trainer trainer) {
        List<Pair<String, Parameter>> out = new ArrayList<>();
        for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
            if (p.getValue().requiresGradient() && p.getValue().isInitialized()) {
                out.add(p);
            }
        }
        return out;
    }

    private List<String> parameterNames(Trainer trainer) {
        if (parameterNames == null) {
            parameterNames = trainableParameters(trainer).stream().map(Pair::getKey).toList();
        }
        return parameterNames;
    }

    private static Double paramNorm(Trainer trainer) {
        List<Pair<String, Parameter>> params = trainableParameters(trainer);
        try (NDManager scratch = trainer.getManager().newSubManager()) {
            NDArray[] squares = new NDArray[params.size()];
            for (int i = 0; i < squares.length; i++) {
                NDArray p = params.get(i).getValue().getArray();
                squares[i] = p.square().sum();
                squares[i].attach(scratch);
            }
            float[] sq = NDArrays.stack(new NDList(squares)).toFloatArray();
            double total = 0;
            for (float v : sq) {
                total += v;
            }
            return Math.sqrt(total);
        }
    }

    /** Device memory in use on a GPU; on the CPU the process's resident set (PyTorch's tensors live outside the heap). */
    static Long memoryBytes(Device device) {
        if (device.isGpu()) {
            try {
                return CudaUtils.getGpuMemory(device).getUsed();
            } catch (RuntimeException e) {
                return null;
            }
        }
        try {
            String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(statm[1]) * 4096L;
        } catch (IOException | RuntimeException e) {
            Runtime rt = Runtime.getRuntime();
            return rt.totalMemory() - rt.freeMemory();
        }
    }
}
