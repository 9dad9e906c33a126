package io.trainwatch.trainer.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import org.junit.jupiter.api.Test;

class PresetProbeTest {
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "probe.file", matches = ".+")
    void probe() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(System.getProperty("probe.file")))) {
            if (line.isBlank()) continue;
            com.fasterxml.jackson.databind.JsonNode node = new ObjectMapper().readTree(line);
            String p = node.path("name").asText(node.path("preset").asText());
            JobSpec spec = JobSpecParser.parse(node);
            long t0 = System.nanoTime();
            RecordingSink sink = new RecordingSink();
            new TrainingRun("run-" + p, spec, Datasets.load(spec.dataset()), sink, new CancelSignal(), 0, "h").run();
            System.out.printf("PRESET %s total %.1fs finished %s %s%n", p, (System.nanoTime() - t0) / 1e9, sink.finished().status(), sink.finished().reason());
            for (EpochCompleted e : sink.epochs()) {
                System.out.printf("  %s e%02d train %.4f val %.4f acc %s/%s lr %.5f ms %d gn %.3f%n", p, e.epoch(), e.trainLoss(), e.valLoss(),
                        e.trainAccuracy(), e.valAccuracy(), e.learningRate(), e.durationMs(), e.gradNorm());
            }
        }
    }
}
