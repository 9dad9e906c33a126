package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the codec promises beyond the golden files: non-finite numbers, absent values, non-ASCII, size, tolerance. */
class EventCodecTest {

    private final EventCodec codec = EventCodec.instance();

    @Test
    void nonFiniteNumbersTravelAsStringsAndComeBackAsTheSameDoubles() {
        EpochCompleted epoch = EpochCompleted.builder("diverging-run", 7)
                .optTrainLoss(Double.NaN)
                .optValLoss(Double.POSITIVE_INFINITY)
                .optGradNorm(Double.POSITIVE_INFINITY)
                .optLayerGradNorms(Map.of("01Linear_weight", Double.NaN, "03Linear_weight", 4.87))
                .optExtra(Map.of("val_gaussian_nll", Double.NEGATIVE_INFINITY))
                .build();

        JsonNode json = ContractFiles.readTree(codec.encode(epoch));

        assertEquals("NaN", json.get("train_loss").textValue());
        assertEquals("Infinity", json.get("val_loss").textValue());
        assertEquals("Infinity", json.get("grad_norm").textValue());
        assertEquals("NaN", json.get("layer_grad_norms").get("01Linear_weight").textValue());
        assertEquals(4.87, json.get("layer_grad_norms").get("03Linear_weight").doubleValue());
        assertEquals("-Infinity", json.get("extra").get("val_gaussian_nll").textValue());
        assertTrue(ContractFiles.validate(EventType.EPOCH_COMPLETED, json).isEmpty());

        EpochCompleted back = codec.decode(codec.encode(epoch), EpochCompleted.class);
        assertTrue(back.trainLoss().isNaN());
        assertEquals(Double.POSITIVE_INFINITY, back.valLoss());
        assertEquals(Double.POSITIVE_INFINITY, back.gradNorm());
        assertTrue(back.layerGradNorms().get("01Linear_weight").isNaN());
        assertEquals(Double.NEGATIVE_INFINITY, back.extra().get("val_gaussian_nll"));
        assertEquals(epoch, back);
    }

    @Test
    void nonFiniteGoldenExampleDecodesToNonFiniteDoubles() {
        EpochCompleted e = (EpochCompleted) codec.decode(EventType.EPOCH_COMPLETED.ceType(),
                ContractFiles.example(EventType.EPOCH_COMPLETED, "non-finite").bytes());
        assertTrue(e.trainLoss().isNaN());
        assertEquals(Double.POSITIVE_INFINITY, e.valLoss());
        assertEquals(Double.POSITIVE_INFINITY, e.gradNormMax());
        assertTrue(e.paramNorm().isNaN());
        assertTrue(e.layerGradNorms().get("05Linear_weight").isNaN());
        assertEquals(Double.NEGATIVE_INFINITY, e.extra().get("val_gaussian_nll"));
    }

    @Test
    void bareNonFiniteTokensAreReadLikeTheStrings() {
        // Python's json module writes NaN and Infinity as bare tokens; such producers must not be turned away.
        String json = "{\"run_id\":\"py-run\",\"epoch\":2,\"train_loss\":NaN,\"val_loss\":Infinity,\"extra\":{\"x\":-Infinity}}";
        EpochCompleted e = codec.decode(json, EpochCompleted.class);
        assertTrue(e.trainLoss().isNaN());
        assertEquals(Double.POSITIVE_INFINITY, e.valLoss());
        assertEquals(Double.NEGATIVE_INFINITY, e.extra().get("x"));
        String encoded = codec.encodeToString(e);
        assertTrue(encoded.contains("\"train_loss\":\"NaN\""), encoded);
        assertTrue(encoded.contains("\"val_loss\":\"Infinity\""), encoded);
        assertTrue(encoded.contains("\"x\":\"-Infinity\""), encoded);
    }

    @Test
    void integralFloatsAreIntegersAsInJsonSchema() {
        // Python's json writes float(3) as 3.0; JSON Schema counts it as an integer, so the codec does too.
        String json = "{\"run_id\":\"py-run\",\"epoch\":3.0,\"global_step\":1.28e2,\"duration_ms\":418.0}";
        assertTrue(ContractFiles.validate(EventType.EPOCH_COMPLETED, ContractFiles.readTree(json.getBytes(StandardCharsets.UTF_8))).isEmpty());
        EpochCompleted e = codec.decode(json, EpochCompleted.class);
        assertEquals(3, e.epoch());
        assertEquals(128L, e.globalStep());
        assertEquals(418L, e.durationMs());
        assertTrue(codec.encodeToString(e).contains("\"epoch\":3,"), codec.encodeToString(e));
    }

    @Test
    void absentValuesStayAbsentInTheJson() {
        EpochCompleted minimal = EpochCompleted.builder("partial-reporter", 0).optTrainLoss(0.6931).build();
        JsonNode json = ContractFiles.readTree(codec.encode(minimal));
        assertEquals(List.of("epoch", "run_id", "schema_version", "train_loss"),
                List.copyOf(GoldenExamplesTest.fieldNames(json)));
        assertFalse(codec.encodeToString(minimal).contains("null"), codec.encodeToString(minimal));

        RunStarted started = RunStarted.of("partial-reporter");
        assertEquals("{\"schema_version\":1,\"run_id\":\"partial-reporter\"}", codec.encodeToString(started));
    }

    @Test
    void explicitNullIsReadAsAbsent() {
        EpochCompleted e = codec.decode("{\"run_id\":\"r1\",\"epoch\":1,\"val_loss\":null}", EpochCompleted.class);
        assertNull(e.valLoss());
        assertFalse(codec.encodeToString(e).contains("val_loss"));
    }

    @Test
    void nonAsciiNamesSurvive() {
        Map<String, Double> layers = new LinkedHashMap<>();
        layers.put("编码器.01Linear_weight", 2.215);
        layers.put("Schicht_ä.weight", 1.732);
        layers.put("выход.bias", 0.122);
        EpochCompleted epoch = EpochCompleted.builder("unicode-demo-0042", 3)
                .optLayerGradNorms(layers)
                .optExtra(Map.of("精度@1", 0.702, "🎯_hit_rate", 0.71))
                .build();
        RunStarted started = new RunStarted(1, "unicode-demo-0042", "螺旋-mlp", "Ünïcødé 学习",
                List.of("基线", "🚀 launch"), null, null, null, null, null, null, null, null);

        byte[] epochJson = codec.encode(epoch);
        byte[] startedJson = codec.encode(started);

        assertTrue(new String(startedJson, StandardCharsets.UTF_8).contains("\"project\":\"Ünïcødé 学习\""));
        assertTrue(ContractFiles.validate(EventType.EPOCH_COMPLETED, epochJson).isEmpty());
        assertTrue(ContractFiles.validate(EventType.RUN_STARTED, startedJson).isEmpty());
        EpochCompleted epochBack = codec.decode(epochJson, EpochCompleted.class);
        RunStarted startedBack = codec.decode(startedJson, RunStarted.class);
        assertEquals(epoch, epochBack);
        assertEquals(started, startedBack);
        assertEquals(2.215, epochBack.layerGradNorms().get("编码器.01Linear_weight"));
        assertEquals("Ünïcødé 学习", startedBack.project());
        assertEquals(List.of("基线", "🚀 launch"), startedBack.tags());
    }

    @Test
    void aTenThousandLayerMapEncodesValidatesAndDecodesEqual() {
        // Names of 100 characters, as a deep transformer's parameter names can be: the size MAX_EVENT_BYTES allows for.
        Map<String, Double> layers = new LinkedHashMap<>();
        for (int i = 0; i < Limits.MAX_LAYERS; i++) {
            String name = String.format("encoder.layers.%05d.self_attention.query_key_value.weight", i);
            name = name + "_".repeat(100 - name.length());
            layers.put(name, 0.05 + (i % 997) * 0.0123456789);
        }
        EpochCompleted epoch = EpochCompleted.builder("big-model", 1).optLayerGradNorms(layers).build();

        byte[] json = codec.encode(epoch);

        assertTrue(json.length < Limits.MAX_EVENT_BYTES, "encoded " + json.length + " bytes");
        var errors = ContractFiles.validate(EventType.EPOCH_COMPLETED, json);
        assertTrue(errors.isEmpty(), ContractFiles.describe(errors));
        EpochCompleted back = codec.decode(json, EpochCompleted.class);
        assertEquals(Limits.MAX_LAYERS, back.layerGradNorms().size());
        assertEquals(epoch, back);
    }

    @Test
    void unknownFieldsAreToleratedOnRead() {
        ObjectNode json = ContractFiles.exampleTree(EventType.EPOCH_COMPLETED, "full");
        json.put("added_in_a_later_minor_version", "yes");
        json.putObject("gpu").put("utilisation", 0.93).putArray("temperatures").add(61).add(64);
        json.withObject("/layer_grad_norms").put("06Linear_weight", 0.3);

        assertTrue(ContractFiles.validate(EventType.EPOCH_COMPLETED, json).isEmpty());
        EpochCompleted e = codec.decode(ContractFiles.bytes(json), EpochCompleted.class);
        assertEquals(12, e.epoch());
        assertEquals(0.3, e.layerGradNorms().get("06Linear_weight"));

        ObjectNode started = ContractFiles.exampleTree(EventType.RUN_STARTED, "full");
        started.withObject("/model").put("framework", "djl 0.36.0");
        started.withObject("/monitor").put("future_setting", true);
        assertEquals(17154L, codec.decode(ContractFiles.bytes(started), RunStarted.class).model().parameterCount());
    }

    @Test
    void decodingFromATreeAppliesTheSameRules() {
        ObjectNode body = ContractFiles.exampleTree(EventType.EPOCH_COMPLETED, "full");
        assertEquals(0.4123, codec.decode(body, EpochCompleted.class).trainLoss());
        body.put("epoch", -3);
        var e = org.junit.jupiter.api.Assertions.assertThrows(EventValidationException.class,
                () -> codec.decode(body, EpochCompleted.class));
        assertEquals("epoch", e.field());
    }

    @Test
    void timestampsAreWrittenAsRfc3339Utc() {
        Instant at = Instant.parse("2026-11-24T07:30:05.731Z");
        EpochCompleted e = EpochCompleted.builder("r1", 1).optEmittedAt(at).build();
        assertTrue(codec.encodeToString(e).contains("\"emitted_at\":\"2026-11-24T07:30:05.731Z\""));
        EpochCompleted offset = codec.decode("{\"run_id\":\"r1\",\"epoch\":1,\"emitted_at\":\"2026-11-24T08:30:05.731+01:00\"}",
                EpochCompleted.class);
        assertEquals(at, offset.emittedAt());
    }

    /** The example in docs/contracts.md, kept compiling and true. */
    @Test
    void theDocumentedExampleWorks() {
        EpochCompleted epoch = EpochCompleted.builder("spirals-mlp-20261124-0730-7f3a9c", 12)
                .optTotalEpochs(60).optTrainLoss(0.4123).optValLoss(Double.NaN)
                .optLearningRate(0.001).optDurationMs(418L)
                .optLayerGradNorms(Map.of("01Linear_weight", 0.842))
                .build();
        byte[] value = codec.encode(epoch);
        Map<String, String> headers = CloudEvents.headers(epoch, CloudEvents.newId(), "/trainwatch/trainer-host", Instant.now());

        TrainwatchEvent event = codec.decode(headers.get(CloudEvents.H_TYPE), value);
        assertTrue(event instanceof EpochCompleted e && e.valLoss().isNaN() && e.gradNorm() == null);
        assertEquals(Topics.RUN_EVENTS, epoch.type().topic());
        var bad = org.junit.jupiter.api.Assertions.assertThrows(EventValidationException.class,
                () -> codec.decode("io.trainwatch.epoch.completed", "{\"run_id\":\"r1\",\"epoch\":-3}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("epoch", bad.field());
        assertEquals("epoch: must be >= 0 and <= 10000000, was -3", bad.getMessage());
    }

    @Test
    void cloudEventsHeadersNameTheTypeAndTheRun() {
        EpochCompleted e = EpochCompleted.builder("spirals-mlp-20261124-0730-7f3a9c", 12).build();
        Map<String, String> h = CloudEvents.headers(e, "4f1c7a0e-2b4d-4c55-9a57-0d6c0f3b9e21", "trainwatch/trainer-host",
                Instant.parse("2026-11-24T07:30:05.731Z"));
        assertEquals(List.of("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "ce_dataschema",
                "content-type"), List.copyOf(h.keySet()));
        assertEquals("https://trainwatch.io/schemas/v1/epoch.completed.schema.json", h.get("ce_dataschema"));
        assertEquals("1.0", h.get("ce_specversion"));
        assertEquals("io.trainwatch.epoch.completed", h.get("ce_type"));
        assertEquals("spirals-mlp-20261124-0730-7f3a9c", h.get("ce_subject"));
        assertEquals("2026-11-24T07:30:05.731Z", h.get("ce_time"));
        assertEquals("application/json", h.get("content-type"));
        assertEquals(Topics.RUN_EVENTS, e.type().topic());
    }
}
