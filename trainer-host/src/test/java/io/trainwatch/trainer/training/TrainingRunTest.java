package io.trainwatch.trainer.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingRunTest {

    static JobSpec spec(String json) throws Exception {
        return JobSpecParser.parse(new ObjectMapper().readTree(json));
    }

    static RecordingSink run(JobSpec spec, CancelSignal cancel) {
        RecordingSink sink = new RecordingSink();
        new TrainingRun("run-test", spec, Datasets.load(spec.dataset()), sink, cancel, 10, "test-host").run();
        return sink;
    }

    @Test
    void everyEpochFieldIsMeasured() throws Exception {
        JobSpec spec = spec("""
                {"model": {"hidden": [16, 16]}, "dataset": {"type": "spirals", "train_size": 640, "val_size": 200},
                 "epochs": 3, "batch_size": 32, "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                 "lr_schedule": {"type": "step", "step_epochs": 1, "gamma": 0.5}, "grad_clip": 0.05, "step_sample_every": 5}
                """);
        RecordingSink sink = run(spec, new CancelSignal());
        assertInstanceOf(RunStarted.class, sink.events.get(0));
        assertInstanceOf(RunFinished.class, sink.events.get(sink.events.size() - 1));
        RunStarted started = sink.started();
        assertEquals("cpu", started.device());
        assertTrue(started.model().parameterCount() > 16 * 16);
        assertEquals(640L, started.dataset().trainSize());
        assertEquals(3, started.dataset().classBalance().size());
        assertEquals(3, started.totalEpochs());

        assertEquals(3, sink.epochs().size());
        for (int e = 0; e < 3; e++) {
            EpochCompleted ec = sink.epochs().get(e);
            assertEquals(e, ec.epoch());
            assertEquals(3, ec.totalEpochs());
            assertEquals(20L * (e + 1), ec.globalStep());
            assertNotNull(ec.emittedAt());
            assertTrue(ec.trainLoss() > 0 && ec.trainLoss() < 5, "train_loss " + ec.trainLoss());
            assertTrue(ec.valLoss() > 0 && ec.valLoss() < 5, "val_loss " + ec.valLoss());
            assertTrue(ec.trainAccuracy() >= 0 && ec.trainAccuracy() <= 1);
            assertTrue(ec.valAccuracy() >= 0 && ec.valAccuracy() <= 1);
            // step schedule: lr halves every epoch; the last step of epoch e is still in epoch e's step
            assertEquals(0.1 * Math.pow(0.5, e), ec.learningRate(), 1e-6);
            assertTrue(ec.durationMs() >= 0);
            assertTrue(ec.samplesPerSecond() > 0);
            assertTrue(ec.gradNorm() > 0 && ec.gradNormMax() >= ec.gradNorm());
            assertEquals(6, ec.layerGradNorms().size(), ec.layerGradNorms().toString());
            assertTrue(ec.paramNorm() > 0);
            // a clip far below the natural norm clips every step
            assertEquals(20, ec.clippedSteps());
            assertTrue(ec.memoryBytes() > 0);
        }
        assertEquals(12, sink.steps().size());
        // every training batch (20 an epoch) and every validation batch reports progress, for the heartbeats
        assertTrue(sink.progressed.get() > 3 * 20, "progressed " + sink.progressed.get());
        StepSampled s = sink.steps().get(0);
        assertEquals(5L, s.globalStep());
        assertEquals(0, s.epoch());
        assertTrue(s.loss() > 0 && s.gradNorm() > 0);
        assertEquals(0.1, s.learningRate(), 1e-6);
        RunFinished f = sink.finished();
        assertEquals(RunStatus.COMPLETED, f.status());
        assertEquals(3, f.epochsCompleted());
    }

    @Test
    void regressionHasNoAccuracyAndCancelStopsAtABatchBoundary() throws Exception {
        JobSpec spec = spec("""
                {"dataset": {"type": "regression", "train_size": 512, "val_size": 128}, "epochs": 50, "batch_size": 32}
                """);
        CancelSignal cancel = new CancelSignal();
        RecordingSink sink = new RecordingSink();
        TrainingRun run = new TrainingRun("run-cancel", spec, Datasets.load(spec.dataset()), event -> {
            sink.publish(event);
            if (event instanceof EpochCompleted ec && ec.epoch() == 1) {
                cancel.cancel("overfitting since epoch 1", "agent-7", "c-42");
            }
        }, cancel, 0, "h");
        RunOutcome outcome = run.run();
        assertEquals(RunStatus.CANCELLED, outcome.status());
        assertEquals(2, sink.epochs().size());
        EpochCompleted ec = sink.epochs().get(0);
        assertNull(ec.trainAccuracy());
        assertNull(ec.valAccuracy());
        assertEquals(0, ec.clippedSteps());
        assertTrue(sink.steps().isEmpty());
        RunFinished f = sink.finished();
        assertEquals(RunStatus.CANCELLED, f.status());
        assertEquals("overfitting since epoch 1", f.reason());
        assertEquals("agent-7", f.requestedBy());
        assertEquals("c-42", f.cancelId(), "run.finished acknowledges the cancel by its id");
        assertEquals(2, f.epochsCompleted());
        assertFalse(sink.events.stream().anyMatch(e -> e instanceof EpochCompleted x && x.epoch() > 1));
    }

    @Test
    void clippingScalesTheGradientsTheOptimizerApplies() throws Exception {
        // Plain SGD: each step moves the parameters by lr × (clipped) gradient, so with a tiny clip they barely move.
        JobSpec spec = spec("""
                {"model": {"hidden": [16]}, "dataset": {"type": "spirals", "train_size": 640, "val_size": 64},
                 "epochs": 3, "batch_size": 32, "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.0},
                 "grad_clip": 0.0001}
                """);
        RecordingSink sink = run(spec, new CancelSignal());
        EpochCompleted e1 = sink.epochs().get(1);
        EpochCompleted e2 = sink.epochs().get(2);
        assertEquals(20, e2.clippedSteps());
        assertTrue(e2.gradNorm() > 0.01, "reported norms are before clipping: " + e2.gradNorm());
        // at most 20 steps × 0.1 × 0.0001 of movement in an epoch
        assertTrue(Math.abs(e2.paramNorm() - e1.paramNorm()) <= 20 * 0.1 * 0.0001 + 1e-5,
                "param_norm moved " + Math.abs(e2.paramNorm() - e1.paramNorm()));
    }

    @Test
    void aCnnTrainsOnIdxImages(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // 120 8×8 images: class 1 has a bright left half, class 0 a bright right half, plus noise
        int n = 120;
        java.util.Random r = new java.util.Random(1);
        byte[] pixels = new byte[n * 64];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % 2);
            for (int p = 0; p < 64; p++) {
                boolean left = p % 8 < 4;
                int v = (left == (labels[i] == 1) ? 200 : 30) + r.nextInt(40);
                pixels[i * 64 + p] = (byte) v;
            }
        }
        java.nio.file.Path images = idx(dir.resolve("img.idx"), new int[] {n, 8, 8}, pixels);
        java.nio.file.Path lab = idx(dir.resolve("lab.idx"), new int[] {n}, labels);
        JobSpec spec = spec("""
                {"model": {"type": "cnn", "channels": [4], "hidden": [16]},
                 "dataset": {"type": "idx", "path": "%s", "labels_path": "%s", "val_fraction": 0.25},
                 "epochs": 3, "batch_size": 16, "optimizer": {"type": "adam", "learning_rate": 0.01}}
                """.formatted(images, lab));
        RecordingSink sink = run(spec, new CancelSignal());
        assertEquals(RunStatus.COMPLETED, sink.finished().status(), String.valueOf(sink.finished().reason()));
        assertTrue(sink.started().model().architecture().startsWith("cnn"), sink.started().model().architecture());
        assertEquals(90L, sink.started().dataset().trainSize());
        EpochCompleted last = sink.epochs().get(2);
        assertTrue(last.valAccuracy() > 0.9, "an easy task: " + last.valAccuracy());
        assertTrue(last.layerGradNorms().keySet().stream().anyMatch(k -> k.contains("Conv2d")), last.layerGradNorms().toString());
    }

    private static java.nio.file.Path idx(java.nio.file.Path p, int[] dims, byte[] body) throws java.io.IOException {
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(java.nio.file.Files.newOutputStream(p))) {
            out.writeInt((0x08 << 8) | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(body);
        }
        return p;
    }
}
