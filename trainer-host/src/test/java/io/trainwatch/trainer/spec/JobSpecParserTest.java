package io.trainwatch.trainer.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.analysis.AnalysisSettings;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobSpecParserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JobSpec parse(String json) throws Exception {
        return JobSpecParser.parse(JSON.readTree(json));
    }

    private static List<FieldError> errors(String json) throws Exception {
        JsonNode node = JSON.readTree(json);
        return assertThrows(InvalidSpecException.class, () -> JobSpecParser.parse(node)).errors();
    }

    @Test
    void theDesignExampleParsesWithEveryField() throws Exception {
        JobSpec s = parse("""
                {"name": "spirals-mlp", "project": "demo", "tags": ["baseline"],
                 "model": {"type": "mlp", "hidden": [128, 128], "dropout": 0.0},
                 "dataset": {"type": "spirals", "train_size": 2000, "val_size": 1000, "noise": 0.25, "seed": 7},
                 "epochs": 40, "batch_size": 64,
                 "optimizer": {"type": "adam", "learning_rate": 0.001, "weight_decay": 0.0},
                 "lr_schedule": {"type": "constant"}, "grad_clip": null, "seed": 7, "device": "auto",
                 "monitor": {"patience": 10, "min_delta": 0.0001}}
                """);
        assertEquals("spirals-mlp", s.name());
        assertEquals(List.of("baseline"), s.tags());
        assertEquals(List.of(128, 128), s.model().hidden());
        assertEquals(2000, s.dataset().trainSize());
        assertEquals(0.25, s.dataset().noise());
        assertEquals(40, s.epochs());
        assertEquals("adam", s.optimizer().type());
        assertNull(s.optimizer().momentum());
        assertNull(s.gradClip());
        assertEquals(10, s.monitor().patience());
        assertEquals(0.0001, s.monitor().minDelta());
        assertNull(s.preset());
    }

    @Test
    void anEmptySpecGetsEveryDefault() throws Exception {
        JobSpec s = parse("{}");
        assertEquals("mlp", s.model().type());
        assertEquals("spirals", s.dataset().type());
        assertEquals(10, s.epochs());
        assertEquals(64, s.batchSize());
        assertEquals("auto", s.device());
        assertEquals("constant", s.lrSchedule().type());
        assertEquals("spirals-mlp", s.name());
    }

    @Test
    void presetFieldsAreOverriddenByTheOnesGivenBeside() throws Exception {
        JobSpec s = parse("{\"preset\": \"overfit\", \"epochs\": 7, \"optimizer\": {\"learning_rate\": 0.01}, \"name\": \"mine\"}");
        assertEquals("overfit", s.preset());
        assertEquals(7, s.epochs());
        assertEquals("mine", s.name());
        assertEquals(0.01, s.optimizer().learningRate());
        assertEquals("adam", s.optimizer().type(), "the rest of the preset's optimizer stays");
        assertEquals(Presets.spec("overfit").get("dataset").get("train_size").asInt(), s.dataset().trainSize());
        for (String p : Presets.names()) {
            assertEquals(p, parse("{\"preset\": \"" + p + "\"}").preset());
        }
    }

    @Test
    void unknownTypesListTheValidOnes() throws Exception {
        List<FieldError> e = errors("{\"model\": {\"type\": \"transformer\"}, \"dataset\": {\"type\": \"imagenet\"}, \"preset\": null}");
        assertTrue(e.contains(new FieldError("model.type", "must be one of [mlp, cnn], was \"transformer\"")), e.toString());
        assertTrue(e.contains(new FieldError("dataset.type", "must be one of [spirals, blobs, regression, csv, idx], was \"imagenet\"")), e.toString());
        List<FieldError> p = errors("{\"preset\": \"boring\"}");
        assertEquals("preset", p.get(0).field());
        assertTrue(p.get(0).message().contains("[healthy, overfit, plateau, diverge]"), p.toString());
    }

    @Test
    void everyBadFieldIsNamedWithItsRule() throws Exception {
        List<FieldError> e = errors("""
                {"epochs": 0, "batch_size": "big", "model": {"hidden": [64, -1], "dropout": 1.5},
                 "optimizer": {"type": "adam", "learning_rate": -1, "momentum": 0.9}, "grad_clip": 0,
                 "device": "tpu", "lerning_rate": 0.1, "dataset": {"type": "csv"}}
                """);
        List<String> fields = e.stream().map(FieldError::field).toList();
        assertTrue(fields.containsAll(List.of("epochs", "batch_size", "model.hidden[1]", "model.dropout",
                "optimizer.learning_rate", "optimizer.momentum", "grad_clip", "device", "lerning_rate", "dataset.path")), e.toString());
        assertTrue(e.contains(new FieldError("epochs", "must be >= 1 and <= 10000, was 0")), e.toString());
    }

    @Test
    void aMissingFileIsAnErrorAtSubmitTime() throws Exception {
        List<FieldError> e = errors("{\"dataset\": {\"type\": \"idx\", \"path\": \"/nonexistent/images.idx\", \"labels_path\": \"/nonexistent/labels.idx\"}}");
        assertEquals("dataset.path", e.get(0).field());
        assertTrue(e.get(0).message().contains("does not exist"), e.toString());
        assertEquals("dataset.labels_path", e.get(1).field());
        assertTrue(errors("{\"model\": {\"type\": \"cnn\"}}").get(0).message().contains("cnn needs image data"));
    }

    @Test
    void stopEarlyIsAnOptInOfTheMonitorWithTheAnalysisDefaults() throws Exception {
        assertNull(parse("{}").monitor(), "no monitor, no early stopping");
        assertEquals(false, parse("{\"monitor\": {\"patience\": 5}}").monitor().stopEarly());
        MonitorSpec given = parse("{\"monitor\": {\"stop_early\": true, \"patience\": 5, \"min_delta\": 0.001}}").monitor();
        assertTrue(given.stopEarly());
        assertEquals(5, given.effectivePatience());
        assertEquals(0.001, given.effectiveMinDelta());
        MonitorSpec defaults = parse("{\"preset\": \"overfit\", \"monitor\": {\"stop_early\": true}}").monitor();
        assertTrue(defaults.stopEarly());
        assertNull(defaults.patience(), "run.started carries only what the user set");
        assertEquals(AnalysisSettings.DEFAULT_PATIENCE, defaults.effectivePatience());
        assertEquals(AnalysisSettings.DEFAULT_MIN_DELTA, defaults.effectiveMinDelta());
    }

    @Test
    void aBadStopEarlyOrPatienceIsNamed() throws Exception {
        List<FieldError> e = errors("{\"monitor\": {\"stop_early\": \"yes\", \"patience\": 0, \"min_delta\": -1, \"stop_erly\": true}}");
        assertTrue(e.contains(new FieldError("monitor.stop_early", "must be true or false, was \"yes\"")), e.toString());
        assertTrue(e.contains(new FieldError("monitor.patience", "must be >= 1 and <= 10000, was 0")), e.toString());
        assertTrue(e.contains(new FieldError("monitor.min_delta", "must be >= 0.0, was -1.0")), e.toString());
        assertTrue(e.stream().anyMatch(f -> f.field().equals("monitor.stop_erly") && f.message().contains("stop_early")), e.toString());
    }
}
