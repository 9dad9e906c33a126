package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Events that break the contract are refused with an {@link EventValidationException} naming the field and the rule,
 * and the schema refuses the same JSON.
 */
class MalformedEventsTest {

    private static final String RUN = "\"run_id\":\"spirals-mlp-1\"";

    private final EventCodec codec = EventCodec.instance();

    static Stream<Arguments> malformed() {
        return Stream.of(
                // ce_type, JSON, field, start of the message
                Arguments.of("io.trainwatch.epoch.completed", "{\"epoch\":1}", "run_id", "run_id: is required"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":\"\",\"epoch\":1}", "run_id", "run_id: must not be blank"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":\"   \",\"epoch\":1}", "run_id", "run_id: must not be blank"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":\"my run 1\",\"epoch\":1}", "run_id", "run_id: must start with a letter or digit"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":\"" + "r".repeat(200) + "\",\"epoch\":1}", "run_id",
                        "run_id: must be at most 128 characters, was 200"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":5,\"epoch\":1}", "run_id", "run_id: must be a string, was 5"),
                Arguments.of("io.trainwatch.epoch.completed", "{\"run_id\":true,\"epoch\":1}", "run_id", "run_id: must be a string, was true"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"name\":1.5}", "name", "name: must be a string"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + "}", "epoch", "epoch: is required"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":-3}", "epoch", "epoch: must be >= 0"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":\"abc\"}", "epoch", "epoch: must be an integer, was \"abc\""),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1.5}", "epoch", "epoch: must be an integer, was 1.5"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":99999999999}", "epoch", "epoch: must be an integer in range"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"duration_ms\":-418}", "duration_ms",
                        "duration_ms: must be >= 0, was -418"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"learning_rate\":-0.001}", "learning_rate",
                        "learning_rate: must be >= 0"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"grad_norm\":\"-Infinity\"}", "grad_norm",
                        "grad_norm: must be >= 0"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"train_loss\":\"nan\"}", "train_loss",
                        "train_loss: must be a number (or \"NaN\", \"Infinity\", \"-Infinity\"), was \"nan\""),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"train_loss\":true}", "train_loss",
                        "train_loss: must be a number"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"layer_grad_norms\":{\"fc1.weight\":null}}",
                        "layer_grad_norms.fc1.weight", "layer_grad_norms.fc1.weight: must not be null"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"layer_grad_norms\":{\"\":0.5}}",
                        "layer_grad_norms", "layer_grad_norms: keys must not be empty"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"layer_grad_norms\":[0.5]}",
                        "layer_grad_norms", "layer_grad_norms: must be an object"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"emitted_at\":\"yesterday\"}", "emitted_at",
                        "emitted_at: must be an RFC 3339 timestamp"),
                Arguments.of("io.trainwatch.run.finished", "{" + RUN + ",\"status\":\"done\"}", "status",
                        "status: must be one of completed, failed, cancelled, stopped_early, was \"done\""),
                Arguments.of("io.trainwatch.run.finished", "{" + RUN + "}", "status", "status: is required"),
                Arguments.of("io.trainwatch.run.finished", "{" + RUN + ",\"status\":\"failed\",\"epochs_completed\":-1}", "epochs_completed",
                        "epochs_completed: must be >= 0, was -1"),
                Arguments.of("io.trainwatch.step.sampled", "{" + RUN + ",\"epoch\":2}", "global_step", "global_step: is required"),
                Arguments.of("io.trainwatch.run.cancel-requested", "{" + RUN + ",\"reason\":\" \"}", "reason", "reason: must not be blank"),
                Arguments.of("io.trainwatch.alert.opened", "{" + RUN + ",\"alert_id\":\"a1\",\"kind\":\"overfitting\",\"severity\":\"high\"}",
                        "severity", "severity: must be one of critical, warning, info, was \"high\""),
                Arguments.of("io.trainwatch.alert.opened", "{" + RUN + ",\"alert_id\":\"a1\",\"severity\":\"info\"}", "kind", "kind: is required"),
                Arguments.of("io.trainwatch.alert.resolved", "{" + RUN + "}", "alert_id", "alert_id: is required"),
                Arguments.of("io.trainwatch.analysis.updated", "{" + RUN + ",\"epoch\":3}", "analysis", "analysis: is required"),
                Arguments.of("io.trainwatch.analysis.updated", "{" + RUN + ",\"epoch\":3,\"analysis\":null}", "analysis", "analysis: is required"),
                Arguments.of("io.trainwatch.analysis.updated", "{" + RUN + ",\"epoch\":3,\"analysis\":\"stop\"}", "analysis",
                        "analysis: must be a JSON object, was string"),
                Arguments.of("io.trainwatch.analysis.updated", "{" + RUN + ",\"epoch\":3,\"confidence\":1.2,\"analysis\":{}}", "confidence",
                        "confidence: must be >= 0 and <= 1, was 1.2"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"tags\":[\"ok\",\"\"]}", "tags[1]", "tags[1]: must not be blank"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"model\":{\"parameter_count\":-5}}", "model.parameter_count",
                        "model.parameter_count: must be >= 0, was -5"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"monitor\":{\"patience\":0}}", "monitor.patience",
                        "monitor.patience: must be >= 1, was 0"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"monitor\":{\"stall_after_seconds\":0}}",
                        "monitor.stall_after_seconds", "monitor.stall_after_seconds: must be >= 1 and <= 604800, was 0"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"monitor\":{\"stall_after_seconds\":604801}}",
                        "monitor.stall_after_seconds", "monitor.stall_after_seconds: must be >= 1 and <= 604800, was 604801"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"dataset\":{\"train_size\":\"many\"}}", "dataset.train_size",
                        "dataset.train_size: must be an integer"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"total_epochs\":0}", "total_epochs", "total_epochs: must be >= 1, was 0"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformed")
    void refusedWithTheFieldNamed(String ceType, String json, String field, String messageStart) {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode(ceType, json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());

        // The schema is the same contract: it refuses the same document.
        EventType type = EventType.fromCeType(ceType).orElseThrow();
        assertFalse(ContractFiles.validate(type, ContractFiles.readTree(json.getBytes(StandardCharsets.UTF_8))).isEmpty(),
                "the schema accepts what the codec refuses: " + json);
    }

    static Stream<Arguments> unstorableText() {
        return Stream.of(
                // ce_type, JSON (escapes as a client would send them), field
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"name\":\"a\\u0000b\"}", "name"),
                Arguments.of("io.trainwatch.run.finished", "{" + RUN + ",\"status\":\"failed\",\"reason\":\"\\u0000\"}", "reason"),
                Arguments.of("io.trainwatch.run.cancel-requested", "{" + RUN + ",\"reason\":\"stop \\ud800 now\"}", "reason"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"tags\":[\"ok\",\"x\\udc00\"]}", "tags[1]"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"hyperparameters\":{\"opt\":\"ad\\u0000am\"}}", "hyperparameters.opt"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"hyperparameters\":{\"n\\u0000\":1}}", "hyperparameters"),
                Arguments.of("io.trainwatch.run.started", "{" + RUN + ",\"hyperparameters\":{\"sched\":{\"kind\":[\"\\u0000\"]}}}",
                        "hyperparameters.sched.kind[0]"),
                Arguments.of("io.trainwatch.epoch.completed", "{" + RUN + ",\"epoch\":1,\"extra\":{\"k\\u0000\":1.0}}", "extra"));
    }

    /** PostgreSQL stores neither NUL nor lone surrogates: such text is refused here, not dead-lettered later. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unstorableText")
    void textPostgresCannotStoreIsRefusedWithTheFieldNamed(String ceType, String json, String field) {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode(ceType, json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("NUL") || e.getMessage().contains("lone surrogate"), e.getMessage());
    }

    @Test
    void surrogatePairsAreText() {
        RunStarted started = (RunStarted) codec.decode("io.trainwatch.run.started",
                ("{" + RUN + ",\"name\":\"\\ud83d\\ude80 launch\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals("\uD83D\uDE80 launch", started.name());
    }

    @Test
    void negativeEpochMessageSaysTheRuleAndTheValue() {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode("{" + RUN + ",\"epoch\":-3}", EpochCompleted.class));
        assertTrue(e.getMessage().matches("epoch: must be >= 0\\b.*, was -3"), e.getMessage());
    }

    @Test
    void tooManyLayersAreRefused() {
        ObjectNode json = ContractFiles.exampleTree(EventType.EPOCH_COMPLETED, "minimal");
        ObjectNode layers = json.putObject("layer_grad_norms");
        for (int i = 0; i <= Limits.MAX_LAYERS; i++) {
            layers.put("layer" + i + ".weight", 0.5);
        }
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode(ContractFiles.bytes(json), EpochCompleted.class));
        assertEquals("layer_grad_norms", e.field());
        assertEquals("layer_grad_norms: must have at most 10000 entries, had 10001", e.getMessage());
        assertFalse(ContractFiles.validate(EventType.EPOCH_COMPLETED, json).isEmpty());
    }

    @Test
    void nonJsonBytesAreRefused() {
        byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0x00, 0x13, 'x'};
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", garbage));
        assertEquals("$", e.field());
        assertTrue(e.getMessage().startsWith("$: is not valid JSON"), e.getMessage());

        e = assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", "epoch=3".getBytes(StandardCharsets.UTF_8)));
        assertEquals("$", e.field());

        e = assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", "{\"run_id\":\"r1\",\"epoch\":1".getBytes(StandardCharsets.UTF_8)));
        assertEquals("$", e.field());
        assertTrue(e.getMessage().startsWith("$: is not valid JSON"), e.getMessage());
    }

    @Test
    void aJsonValueThatIsNotAnObjectIsRefused() {
        for (String json : new String[] {"[1,2]", "42", "\"epoch\""}) {
            EventValidationException e = assertThrows(EventValidationException.class,
                    () -> codec.decode("io.trainwatch.epoch.completed", json.getBytes(StandardCharsets.UTF_8)));
            assertEquals("$", e.field(), json);
            assertEquals("$: must be a JSON object", e.getMessage(), json);
        }
    }

    @Test
    void anEmptyBodyIsRefused() {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", new byte[0]));
        assertEquals("$", e.field());
        assertEquals("$: must be a JSON object, was empty", e.getMessage());
        e = assertThrows(EventValidationException.class, () -> codec.decode("io.trainwatch.run.started", (byte[]) null));
        assertEquals("$", e.field());
    }

    @Test
    void anEventLargerThanTheLimitIsRefusedBeforeParsing() {
        StringBuilder json = new StringBuilder("{" + RUN + ",\"epoch\":1,\"note\":\"");
        json.append("x".repeat(Limits.MAX_EVENT_BYTES)).append("\"}");
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", bytes));
        assertEquals("$", e.field());
        assertEquals("$: must be at most " + Limits.MAX_EVENT_BYTES + " bytes, was " + bytes.length, e.getMessage());
    }

    @Test
    void anUnknownCeTypeIsRefused() {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> codec.decode("epoch.finished", "{\"run_id\":\"r1\",\"epoch\":1}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("ce_type", e.field());
        assertTrue(e.getMessage().startsWith("ce_type: must be one of io.trainwatch.run.started, io.trainwatch.epoch.completed"), e.getMessage());
        assertTrue(e.getMessage().contains("(or the same without io.trainwatch.)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("was \"epoch.finished\""), e.getMessage());

        e = assertThrows(EventValidationException.class, () -> codec.decode((String) null, "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("ce_type", e.field());
    }

    @Test
    void recordsBuiltInJavaObeyTheSameRules() {
        EventValidationException e = assertThrows(EventValidationException.class,
                () -> EpochCompleted.builder("r1", -3).build());
        assertEquals("epoch", e.field());
        e = assertThrows(EventValidationException.class, () -> RunStarted.of("has space"));
        assertEquals("run_id", e.field());
        e = assertThrows(EventValidationException.class,
                () -> new RunFinished(1, "r1", null, null, null, null, null));
        assertEquals("status", e.field());
    }
}
