package io.trainwatch.trainer.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.loss.L2Loss;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.trainwatch.analysis.Patience;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.datasets.Samples;
import io.trainwatch.trainer.datasets.TrainValData;
import io.trainwatch.trainer.models.Networks;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.MonitorSpec;
import io.trainwatch.trainer.spec.OptimizerSpec;
import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * One training run, start to finish, on the calling thread: emits {@code run.started}, an {@code epoch.completed}
 * per epoch (plus sampled steps), and always exactly one {@code run.finished}. Plain Java, so tests drive it without
 * Quarkus. A NaN or infinite training loss is reported as it is, then the run ends {@code failed}. With
 * {@code monitor.stop_early} the run ends {@code stopped_early} once the analysis engine's {@link Patience} runs out.
 */
public final class TrainingRun {

    private static final Logger LOG = Logger.getLogger(TrainingRun.class);
    /** Validation batches only need memory, not gradient noise: bigger is faster. */
    private static final int VALIDATION_BATCH = 1024;

    private final String runId;
    private final JobSpec spec;
    private final TrainValData data;
    private final RunEventSink sink;
    private final CancelSignal cancel;
    private final int stepSampleEvery;
    private final String host;

    public TrainingRun(String runId, JobSpec spec, TrainValData data, RunEventSink sink, CancelSignal cancel,
                       int defaultStepSampleEvery, String host) {
        this.runId = runId;
        this.spec = spec;
        this.data = data;
        this.sink = sink;
        this.cancel = cancel;
        this.stepSampleEvery = spec.stepSampleEvery() != null ? spec.stepSampleEvery() : defaultStepSampleEvery;
        this.host = host;
    }

    public RunOutcome run() {
        int epochsCompleted = 0;
        RunOutcome outcome;
        boolean started = false;
        try {
            Device device = Devices.resolve(spec.device());
            Engine.getInstance().setRandomSeed((int) spec.seed());
            boolean classification = !data.regression();
            int outputs = classification ? data.numClasses() : 1;
            int stepsPerEpoch = (data.train().size() + spec.batchSize() - 1) / spec.batchSize();
            Tracker lr = LearningRates.tracker(spec.lrSchedule(), spec.optimizer().learningRate(), stepsPerEpoch, spec.epochs());
            Loss loss = classification ? new SoftmaxCrossEntropyLoss("loss") : new L2Loss("loss", 1f);
            EvaluatorTrainingListener evaluator = new EvaluatorTrainingListener();
            MetricsListener metrics = new MetricsListener(runId, spec.epochs(), lr, evaluator, sink, stepSampleEvery,
                    classification, spec.gradClip(), device);
            DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                    .optOptimizer(optimizer(spec.optimizer(), lr))
                    .optDevices(new Device[] {device})
                    .addTrainingListeners(evaluator, metrics);
            if (classification) {
                config.addEvaluator(new Accuracy());
            }
            try (Model model = Model.newInstance(spec.name(), device)) {
                model.setBlock(Networks.build(spec.model(), data.train().sampleShape(), outputs));
                try (Trainer trainer = model.newTrainer(config);
                     NDManager dataManager = trainer.getManager().newSubManager()) {
                    trainer.initialize(inputShape(data.train()));
                    emitStarted(device, parameterCount(model), outputs);
                    started = true;
                    ArrayDataset train = dataset(dataManager, data.train(), spec.batchSize(), true);
                    ArrayDataset val = dataset(dataManager, data.val(), Math.max(VALIDATION_BATCH, spec.batchSize()), false);
                    outcome = null;
                    MonitorSpec monitor = spec.monitor();
                    // The analysis engine's own patience rule, so the host stops where the verdict says early_stopping.ready.
                    Patience earlyStopping = monitor == null || !monitor.stopEarly() ? null
                            : new Patience(monitor.effectivePatience(), monitor.effectiveMinDelta());
                    boolean watchVal = data.val().size() > 0;
                    for (int epoch = 0; epoch < spec.epochs() && outcome == null; epoch++) {
                        metrics.beginEpoch(epoch);
                        for (Batch batch : trainer.iterateDataset(train)) {
                            try (batch) {
                                if (cancel.cancelled()) {
                                    break;
                                }
                                EasyTrain.trainBatch(trainer, batch);
                                trainer.step();
                            }
                        }
                        if (cancel.cancelled()) {
                            outcome = cancelled(epochsCompleted);
                            break;
                        }
                        metrics.endTrainingPhase();
                        for (Batch batch : trainer.iterateDataset(val)) {
                            try (batch) {
                                EasyTrain.validateBatch(trainer, batch);
                            }
                        }
                        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                        epochsCompleted++;
                        EpochCompleted last = metrics.lastEpoch();
                        if (last.trainLoss() != null && !Double.isFinite(last.trainLoss())) {
                            outcome = new RunOutcome(RunStatus.FAILED, "train_loss is " + last.trainLoss() + " at epoch " + epoch
                                    + " (global step " + last.globalStep() + "): training diverged", epochsCompleted, null);
                        } else if (cancel.cancelled()) {
                            outcome = cancelled(epochsCompleted);
                        } else if (earlyStopping != null && epoch < spec.epochs() - 1) {
                            // Patience running out on the last epoch saves nothing: that run simply completes.
                            String reason = earlyStopping.onEpoch(epoch, watchVal ? last.valLoss() : last.trainLoss(),
                                    watchVal ? "val_loss" : "train_loss").orElse(null);
                            if (reason != null) {
                                outcome = new RunOutcome(RunStatus.STOPPED_EARLY, reason, epochsCompleted, null);
                            }
                        }
                    }
                    if (outcome == null) {
                        outcome = new RunOutcome(RunStatus.COMPLETED, null, epochsCompleted, null);
                    }
                }
            }
        } catch (Exception | LinkageError e) {
            LOG.errorf(e, "run %s failed after %d epochs", runId, epochsCompleted);
            outcome = new RunOutcome(RunStatus.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage(), epochsCompleted, null);
        }
        if (!started) {
            // A run.finished must follow a run.started, so consumers always know the run it closes.
            emit(startedEvent(spec.device(), null, null));
        }
        emitFinished(outcome);
        return outcome;
    }

    /**
     * For a job cancelled before a training thread took it: its {@code run.started} with what is known without
     * training (name, project, tags, hyperparameters, the data's summary, the model in words, the device as
     * requested, total epochs, monitor settings; no parameter count, the model was never built), then its
     * {@code run.finished} {@code cancelled} with the request's reason and requester after 0 epochs. Without them
     * the metrics API would never learn of the run.
     *
     * @throws IllegalStateException if the cancel signal was not set
     */
    public RunOutcome cancelledBeforeStart() {
        if (!cancel.cancelled()) {
            throw new IllegalStateException("run " + runId + " was not cancelled");
        }
        RunStarted.Model model = null;
        if (data != null) {
            int outputs = data.regression() ? 1 : data.numClasses();
            model = new RunStarted.Model(Networks.describe(spec.model(), data.train().sampleShape(), outputs), null);
        }
        emit(startedEvent(spec.device(), model, data));
        RunOutcome outcome = cancelled(0);
        emitFinished(outcome);
        return outcome;
    }

    private void emitFinished(RunOutcome outcome) {
        // A run that ended because of a cancel acknowledges that cancel by its id.
        String cancelId = outcome.status() == RunStatus.CANCELLED && cancel.cancelled() ? cancel.request().cancelId() : null;
        emit(new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, outcome.status(), truncate(outcome.reason()),
                outcome.epochsCompleted(), outcome.requestedBy(), Instant.now(), cancelId));
    }

    private RunOutcome cancelled(int epochsCompleted) {
        CancelSignal.Request r = cancel.request();
        return new RunOutcome(RunStatus.CANCELLED, r.reason(), epochsCompleted, r.requestedBy());
    }

    private void emitStarted(Device device, long parameterCount, int outputs) {
        emit(startedEvent(Devices.describe(device), new RunStarted.Model(
                Networks.describe(spec.model(), data.train().sampleShape(), outputs), parameterCount), data));
    }

    private RunStarted startedEvent(String device, RunStarted.Model model, TrainValData data) {
        MonitorSpec m = spec.monitor();
        RunStarted.Dataset dataset = data == null ? new RunStarted.Dataset(spec.dataset().type(), null, null, null)
                : new RunStarted.Dataset(data.name(), (long) data.train().size(), (long) data.val().size(), data.classBalance());
        return new RunStarted(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, spec.name(), spec.project(), spec.tags(), model,
                spec.hyperparameters(), dataset, device, host, spec.epochs(),
                m == null ? null : new RunStarted.Monitor(m.patience(), m.minDelta(), m.thresholds()), Instant.now());
    }

    private void emit(TrainwatchEvent event) {
        sink.publish(event);
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 4000 ? s : s.substring(0, 3999) + "…";
    }

    private static Optimizer optimizer(OptimizerSpec o, Tracker lr) {
        float wd = (float) o.weightDecay();
        return switch (o.type()) {
            case "sgd" -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(o.momentum().floatValue()).optWeightDecays(wd).build();
            case "adamw" -> Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(wd).build();
            default -> Optimizer.adam().optLearningRateTracker(lr).optWeightDecays(wd).build();
        };
    }

    private static Shape inputShape(Samples s) {
        long[] dims = new long[s.sampleShape().length + 1];
        dims[0] = 1;
        System.arraycopy(s.sampleShape(), 0, dims, 1, s.sampleShape().length);
        return new Shape(dims);
    }

    private static long parameterCount(Model model) {
        long n = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    private static ArrayDataset dataset(NDManager manager, Samples s, int batchSize, boolean shuffle) {
        long[] dims = new long[s.sampleShape().length + 1];
        dims[0] = s.size();
        System.arraycopy(s.sampleShape(), 0, dims, 1, s.sampleShape().length);
        Shape labelShape = s.regression() ? new Shape(s.size(), 1) : new Shape(s.size());
        return new ArrayDataset.Builder()
                .setData(manager.create(s.features(), new Shape(dims)))
                .optLabels(manager.create(s.labels(), labelShape))
                .setSampling(batchSize, shuffle)
                .build();
    }
}
