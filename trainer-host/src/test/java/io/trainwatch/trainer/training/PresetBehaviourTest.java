package io.trainwatch.trainer.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each preset really shows its behaviour in the metrics it emits (plain JUnit: training without Quarkus). */
class PresetBehaviourTest {

    private static RecordingSink train(String json) throws Exception {
        JobSpec spec = JobSpecParser.parse(new ObjectMapper().readTree(json));
        RecordingSink sink = new RecordingSink();
        new TrainingRun("run-" + spec.preset(), spec, Datasets.load(spec.dataset()), sink, new CancelSignal(), 0, "test").run();
        return sink;
    }

    private static String curve(List<EpochCompleted> epochs) {
        return epochs.stream().map(e -> String.format("e%d %.4f/%.4f", e.epoch(), e.trainLoss(), e.valLoss()))
                .collect(Collectors.joining(", "));
    }

    private static int argminVal(List<EpochCompleted> epochs) {
        int best = 0;
        for (int i = 1; i < epochs.size(); i++) {
            if (epochs.get(i).valLoss() < epochs.get(best).valLoss()) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void healthyLossesFallToTheEnd() throws Exception {
        RecordingSink sink = train("{\"preset\": \"healthy\", \"epochs\": 12}");
        List<EpochCompleted> e = sink.epochs();
        String c = curve(e);
        assertEquals(RunStatus.COMPLETED, sink.finished().status());
        assertEquals(12, e.size());
        EpochCompleted first = e.get(0);
        EpochCompleted last = e.get(e.size() - 1);
        assertTrue(last.trainLoss() < 0.3 * first.trainLoss(), c);
        assertTrue(last.valLoss() < 0.3 * first.valLoss(), c);
        // still improving at the end: the best validation loss is in the last three epochs
        assertTrue(argminVal(e) >= e.size() - 3, c);
        assertTrue(last.valAccuracy() > 0.9, c);
    }

    @Test
    void overfitValidationLossTurnsUpWhileTrainingLossFalls() throws Exception {
        RecordingSink sink = train("{\"preset\": \"overfit\", \"epochs\": 20}");
        List<EpochCompleted> e = sink.epochs();
        String c = curve(e);
        int best = argminVal(e);
        EpochCompleted min = e.get(best);
        EpochCompleted last = e.get(e.size() - 1);
        assertTrue(best > 0 && best < e.size() - 5, "val minimum at epoch " + best + ": " + c);
        assertTrue(last.valLoss() > min.valLoss() * 1.03, "val loss rises after its minimum: " + c);
        assertTrue(last.trainLoss() < min.trainLoss() * 0.5, "train loss keeps falling: " + c);
        // the gap keeps widening over the second half
        EpochCompleted mid = e.get(e.size() / 2);
        assertTrue(last.valLoss() - last.trainLoss() > mid.valLoss() - mid.trainLoss(), c);
    }

    @Test
    void plateauStopsImprovingAfterAFewEpochs() throws Exception {
        RecordingSink sink = train("{\"preset\": \"plateau\", \"epochs\": 12}");
        List<EpochCompleted> e = sink.epochs();
        String c = curve(e);
        assertEquals(12, e.size());
        assertTrue(e.get(3).valLoss() < e.get(0).valLoss() * 0.95, "learns at first: " + c);
        double from = e.get(6).valLoss();
        double to = e.get(11).valLoss();
        assertTrue(Math.abs(to - from) / from < 0.01, "flat over the last six epochs: " + c);
        assertTrue(Math.abs(e.get(11).trainLoss() - e.get(6).trainLoss()) / e.get(6).trainLoss() < 0.01, c);
        assertTrue(to > 0.3, "stuck far above a solved spiral: " + c);
    }

    @Test
    void divergeExplodesToNonFiniteAndFails() throws Exception {
        RecordingSink sink = train("{\"preset\": \"diverge\"}");
        List<EpochCompleted> e = sink.epochs();
        String c = curve(e);
        EpochCompleted last = e.get(e.size() - 1);
        assertTrue(!Double.isFinite(last.trainLoss()), "ends non-finite: " + c);
        assertTrue(e.size() >= 4 && e.size() < 20, c);
        double min = e.stream().mapToDouble(EpochCompleted::trainLoss).filter(Double::isFinite).min().orElseThrow();
        assertTrue(e.get(e.size() - 2).trainLoss() > 5 * min, "explodes before the NaN: " + c);
        assertEquals(RunStatus.FAILED, sink.finished().status());
        assertTrue(sink.finished().reason().contains("train_loss is NaN") || sink.finished().reason().contains("Infinity"), sink.finished().reason());
        assertEquals(e.size(), sink.finished().epochsCompleted());
    }
}
