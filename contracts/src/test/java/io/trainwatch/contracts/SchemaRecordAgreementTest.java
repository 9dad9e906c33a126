package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One definition kept in step: the JSON Schemas and the records describe the same fields, the same required set and
 * the same limits. The limits are checked by behaviour: every bound the schema states is probed on both sides of it,
 * and the codec must accept exactly what the schema accepts, naming the field when it refuses.
 */
class SchemaRecordAgreementTest {

    private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE = new PropertyNamingStrategies.SnakeCaseStrategy();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String ROCKET = "🚀"; // outside the BMP: one code point, two UTF-16 units

    private final EventCodec codec = EventCodec.instance();

    // ---------------------------------------------------------------- fields and types

    @ParameterizedTest
    @EnumSource(EventType.class)
    void schemaPropertiesAreTheRecordComponentsInSnakeCase(EventType type) {
        List<String> problems = new ArrayList<>();
        compareFields(type.dataClass(), ContractFiles.schemaNode(type), defs(type), "", problems);
        assertTrue(problems.isEmpty(), type + ": " + String.join("; ", problems));
    }

    private static void compareFields(Class<?> record, JsonNode schema, JsonNode defs, String prefix, List<String> problems) {
        Set<String> components = Arrays.stream(record.getRecordComponents())
                .map(c -> SNAKE.translate(c.getName())).collect(Collectors.toCollection(TreeSet::new));
        Set<String> properties = new TreeSet<>();
        schema.get("properties").fieldNames().forEachRemaining(properties::add);
        if (!components.equals(properties)) {
            problems.add(prefix + "record " + components + " vs schema " + properties);
            return;
        }
        for (RecordComponent c : record.getRecordComponents()) {
            String name = SNAKE.translate(c.getName());
            JsonNode prop = resolve(schema.get("properties").get(name), defs);
            String problem = typeProblem(c.getType(), c.getGenericType(), prop);
            if (problem != null) {
                problems.add(prefix + name + ": " + problem);
            }
            if (c.getType().isRecord()) {
                compareFields(c.getType(), prop, defs, prefix + name + ".", problems);
            }
        }
    }

    /** Whether a schema property can carry the Java type of a record component; null when it can. */
    private static String typeProblem(Class<?> type, Type generic, JsonNode prop) {
        String jsonType = prop.path("type").asText(null);
        if (type == int.class || type == Integer.class) {
            return "integer".equals(jsonType) && prop.path("maximum").asLong(Long.MAX_VALUE) <= Integer.MAX_VALUE
                    ? null : "must be an integer with maximum <= 2^31-1";
        }
        if (type == Long.class) {
            return "integer".equals(jsonType) && prop.has("maximum") ? null : "must be an integer with a maximum";
        }
        if (type == Double.class) {
            return prop.has("anyOf") || "number".equals(jsonType) ? null : "must be a number (or a non-finite string)";
        }
        if (type == String.class) {
            return "string".equals(jsonType) && (prop.has("maxLength") || prop.has("enum")) ? null : "must be a string with maxLength";
        }
        if (type == Instant.class) {
            return "string".equals(jsonType) && "date-time".equals(prop.path("format").asText()) ? null : "must be a date-time string";
        }
        if (type.isEnum()) {
            Set<String> wire = Arrays.stream(type.getEnumConstants()).map(SchemaRecordAgreementTest::wire)
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<String> schemaEnum = new TreeSet<>();
            prop.path("enum").forEach(v -> schemaEnum.add(v.asText()));
            return wire.equals(schemaEnum) ? null : "enum " + schemaEnum + " vs " + wire;
        }
        if (Map.class.isAssignableFrom(type)) {
            boolean numeric = generic instanceof ParameterizedType pt && pt.getActualTypeArguments()[1] == Double.class;
            boolean numericSchema = prop.path("additionalProperties").path("$ref").asText().equals("#/$defs/number");
            if (!"object".equals(jsonType) || !prop.has("maxProperties")) {
                return "must be an object with maxProperties";
            }
            return numeric == numericSchema ? null : "value type differs (numeric in Java: " + numeric + ")";
        }
        if (List.class.isAssignableFrom(type)) {
            return "array".equals(jsonType) && prop.has("maxItems") ? null : "must be an array with maxItems";
        }
        if (JsonNode.class.isAssignableFrom(type) || type.isRecord()) {
            return "object".equals(jsonType) ? null : "must be an object";
        }
        return "no rule for Java type " + type.getName();
    }

    private static String wire(Object enumConstant) {
        return enumConstant instanceof RunStatus s ? s.wire() : ((Severity) enumConstant).wire();
    }

    // ---------------------------------------------------------------- required fields

    @ParameterizedTest
    @EnumSource(EventType.class)
    void requiredFieldsAreTheSameInSchemaAndRecord(EventType type) {
        ObjectNode full = ContractFiles.exampleTree(type, "full");
        Set<String> requiredByCodec = new TreeSet<>();
        Set<String> requiredBySchema = new TreeSet<>();
        for (Iterator<String> it = full.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            ObjectNode without = full.deepCopy();
            without.remove(field);
            try {
                codec.decode(ContractFiles.bytes(without), type.dataClass());
            } catch (EventValidationException e) {
                assertEquals(field, e.field(), e.getMessage());
                assertEquals(field + ": is required", e.getMessage());
                requiredByCodec.add(field);
            }
            if (!ContractFiles.validate(type, without).isEmpty()) {
                requiredBySchema.add(field);
            }
        }
        Set<String> declared = new TreeSet<>();
        ContractFiles.schemaNode(type).get("required").forEach(r -> declared.add(r.asText()));
        assertEquals(declared, requiredBySchema, "schema");
        assertEquals(declared, requiredByCodec, "record");
    }

    // ---------------------------------------------------------------- limits, stated

    @Test
    void sharedDefinitionsAreIdenticalInEverySchemaAndStateTheLimits() {
        JsonNode first = defs(EventType.RUN_STARTED);
        for (EventType type : EventType.values()) {
            JsonNode schema = ContractFiles.schemaNode(type);
            assertEquals(first, defs(type), type + ": $defs differ from run.started's");
            assertEquals("https://json-schema.org/draft/2020-12/schema", schema.get("$schema").asText());
            assertEquals(type.schemaId(), schema.get("$id").asText(), type + ": dataschema names the schema's $id");
            assertEquals(type.schemaId(), CloudEvents.headers(codec.decode(type.ceType(), ContractFiles.example(type, "full").bytes()), "id-1", "/test", null)
                    .get(CloudEvents.H_DATASCHEMA), type + ": every event names its schema in ce_dataschema");
            assertTrue(schema.path("additionalProperties").asBoolean(false), type + ": unknown fields must be allowed");
        }
        assertEquals("^" + Limits.RUN_ID_PATTERN.pattern() + "$", first.at("/run_id/pattern").asText());
        assertEquals(Limits.MAX_RUN_ID_LENGTH, first.at("/run_id/maxLength").asInt());
        assertEquals(Limits.MAX_EPOCH, first.at("/epoch/maximum").asInt());
        assertEquals(0, first.at("/epoch/minimum").asInt());
        assertEquals(Limits.MAX_NAME_LENGTH, first.at("/name/maxLength").asInt());
        assertEquals(Limits.MAX_TEXT_LENGTH, first.at("/text/maxLength").asInt());
        assertEquals(Limits.MAX_KEY_LENGTH, first.at("/number_map/propertyNames/maxLength").asInt());

        JsonNode epoch = ContractFiles.schemaNode(EventType.EPOCH_COMPLETED).get("properties");
        assertEquals(Limits.MAX_LAYERS, epoch.at("/layer_grad_norms/maxProperties").asInt());
        assertEquals(Limits.MAX_EXTRA, epoch.at("/extra/maxProperties").asInt());
        JsonNode started = ContractFiles.schemaNode(EventType.RUN_STARTED).get("properties");
        assertEquals(Limits.MAX_TAGS, started.at("/tags/maxItems").asInt());
        assertEquals(Limits.MAX_TAG_LENGTH, started.at("/tags/items/maxLength").asInt());
        assertEquals(Limits.MAX_HYPERPARAMETERS, started.at("/hyperparameters/maxProperties").asInt());
        assertEquals(Limits.MAX_KEY_LENGTH, started.at("/hyperparameters/propertyNames/maxLength").asInt());
    }

    // ---------------------------------------------------------------- limits, probed

    /** A document to try, what the schema and the codec must both say, and the field a refusal must name. */
    private record Probe(String path, String description, JsonNode value, boolean valid) {
    }

    @ParameterizedTest
    @EnumSource(EventType.class)
    void codecAcceptsExactlyWhatTheSchemaAcceptsAtEveryBound(EventType type) {
        ObjectNode base = ContractFiles.exampleTree(type, "minimal");
        List<String> disagreements = new ArrayList<>();
        int probes = probeObject(type, base, "", ContractFiles.schemaNode(type), disagreements);
        assertTrue(probes > 10, "only " + probes + " probes");
        assertTrue(disagreements.isEmpty(), type + ":\n  " + String.join("\n  ", disagreements));
    }

    private int probeObject(EventType type, ObjectNode base, String prefix, JsonNode schema, List<String> out) {
        JsonNode defs = defs(type);
        int count = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.get("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String path = prefix + entry.getKey();
            String ref = entry.getValue().path("$ref").asText("");
            JsonNode prop = resolve(entry.getValue(), defs);
            for (Probe probe : probes(path, ref, prop)) {
                check(type, with(base, path, probe.value()), probe, out);
                count++;
            }
            if (prop.has("properties")) {
                // Nested object: probe its fields inside an otherwise empty object.
                ObjectNode nestedBase = with(base, path, NODES.objectNode());
                count += probeObject(type, nestedBase, path + ".", prop, out);
            }
        }
        return count;
    }

    private List<Probe> probes(String path, String ref, JsonNode p) {
        List<Probe> probes = new ArrayList<>();
        String type = p.path("type").asText("");
        if (ref.endsWith("/number")) {
            for (Object v : new Object[] {0.5, -1e300, 0, "NaN", "Infinity", "-Infinity"}) {
                probes.add(new Probe(path, "number " + v, node(v), true));
            }
            for (Object v : new Object[] {"nan", "inf", true}) {
                probes.add(new Probe(path, "number " + v, node(v), false));
            }
        } else if (ref.endsWith("/non_negative_number")) {
            for (Object v : new Object[] {0, 1e-9, 1e300, "NaN", "Infinity"}) {
                probes.add(new Probe(path, "non-negative " + v, node(v), true));
            }
            for (Object v : new Object[] {-1e-9, "-Infinity", "nan", false}) {
                probes.add(new Probe(path, "non-negative " + v, node(v), false));
            }
        } else if (type.equals("integer")) {
            long min = p.get("minimum").asLong();
            BigInteger max = p.get("maximum").bigIntegerValue();
            if (path.equals("schema_version")) {
                // 0 reads as "absent" (a primitive int cannot tell them apart) and becomes 1; -1 is refused by both.
                probes.add(new Probe(path, "below minimum", node(-1), false));
            } else {
                probes.add(new Probe(path, "below minimum", node(min - 1), false));
            }
            probes.add(new Probe(path, "minimum", node(min), true));
            probes.add(new Probe(path, "maximum", NODES.numberNode(max), true));
            probes.add(new Probe(path, "above maximum", NODES.numberNode(max.add(BigInteger.ONE)), false));
            probes.add(new Probe(path, "integral float", node(min + 1.0), true));
            probes.add(new Probe(path, "integral float above maximum", node(new java.math.BigDecimal(max.add(BigInteger.ONE)).setScale(1)), false));
            probes.add(new Probe(path, "fraction", node(min + 0.5), false));
            probes.add(new Probe(path, "word", node("abc"), false));
        } else if (type.equals("number")) {
            double min = p.get("minimum").asDouble();
            double max = p.get("maximum").asDouble();
            probes.add(new Probe(path, "minimum", node(min), true));
            probes.add(new Probe(path, "maximum", node(max), true));
            probes.add(new Probe(path, "below minimum", node(min - 0.01), false));
            probes.add(new Probe(path, "above maximum", node(max + 0.01), false));
            probes.add(new Probe(path, "NaN", node("NaN"), false));
        } else if (type.equals("string") && p.has("enum")) {
            p.get("enum").forEach(v -> probes.add(new Probe(path, "enum " + v, v, true)));
            probes.add(new Probe(path, "not in enum", node("done"), false));
        } else if (type.equals("string") && p.has("format")) {
            probes.add(new Probe(path, "timestamp", node("2026-11-24T07:30:00.125Z"), true));
            probes.add(new Probe(path, "timestamp with offset", node("2026-11-24T08:30:00+01:00"), true));
            probes.add(new Probe(path, "not a timestamp", node("yesterday"), false));
        } else if (type.equals("string")) {
            int max = p.get("maxLength").asInt();
            String pattern = p.path("pattern").asText("");
            probes.add(new Probe(path, "maxLength", node("a".repeat(max)), true));
            probes.add(new Probe(path, "maxLength + 1", node("a".repeat(max + 1)), false));
            if (pattern.isEmpty() || pattern.equals("\\S")) {
                probes.add(new Probe(path, "maxLength in astral code points", node(ROCKET.repeat(max)), true));
                probes.add(new Probe(path, "maxLength + 1 in astral code points", node(ROCKET.repeat(max + 1)), false));
            }
            if (p.path("minLength").asInt(0) >= 1) {
                probes.add(new Probe(path, "empty", node(""), false));
            }
            if (pattern.equals("\\S")) {
                probes.add(new Probe(path, "blank", node("  \t "), false));
            }
            if (pattern.startsWith("^[A-Za-z0-9]")) {
                probes.add(new Probe(path, "run id characters", node("a1.b_c:d-E"), true));
                probes.add(new Probe(path, "space", node("my run"), false));
                probes.add(new Probe(path, "leading dash", node("-run"), false));
                probes.add(new Probe(path, "slash", node("team/run"), false));
                probes.add(new Probe(path, "non-ASCII", node("lauf-ä"), false));
            }
        } else if (type.equals("array")) {
            int maxItems = p.get("maxItems").asInt();
            int maxLength = p.get("items").get("maxLength").asInt();
            probes.add(new Probe(path, "maxItems", strings(maxItems, "tag"), true));
            probes.add(new Probe(path, "maxItems + 1", strings(maxItems + 1, "tag"), false));
            probes.add(new Probe(path, "item maxLength", strings(1, "t".repeat(maxLength)), true));
            probes.add(new Probe(path, "item maxLength + 1", strings(1, "t".repeat(maxLength + 1)), false));
            probes.add(new Probe(path, "blank item", strings(1, " "), false));
            probes.add(new Probe(path, "not an array", node("tag"), false));
        } else if (type.equals("object") && p.has("maxProperties")) {
            int max = p.get("maxProperties").asInt();
            int maxKey = p.at("/propertyNames/maxLength").asInt();
            boolean numeric = p.path("additionalProperties").has("$ref");
            JsonNode value = numeric ? node(0.5) : node(1);
            probes.add(new Probe(path, "maxProperties", map(max, value), true));
            probes.add(new Probe(path, "maxProperties + 1", map(max + 1, value), false));
            probes.add(new Probe(path, "key maxLength", NODES.objectNode().set("k".repeat(maxKey), value), true));
            probes.add(new Probe(path, "key maxLength + 1", NODES.objectNode().set("k".repeat(maxKey + 1), value), false));
            probes.add(new Probe(path, "key in astral code points", NODES.objectNode().set(ROCKET.repeat(maxKey), value), true));
            probes.add(new Probe(path, "empty key", NODES.objectNode().set("", value), false));
            probes.add(new Probe(path, "null value", NODES.objectNode().set("k", NODES.nullNode()), false));
            if (numeric) {
                probes.add(new Probe(path, "non-finite values", NODES.objectNode().put("a", "NaN").put("b", "Infinity")
                        .put("c", "-Infinity"), true));
                probes.add(new Probe(path, "word value", NODES.objectNode().put("a", "high"), false));
            }
            probes.add(new Probe(path, "not an object", node(0.5), false));
        } else if (type.equals("object")) {
            probes.add(new Probe(path, "object", NODES.objectNode().put("anything", 1), true));
            probes.add(new Probe(path, "not an object", node("x"), false));
        } else {
            throw new AssertionError(path + ": no probes for " + p);
        }
        return probes;
    }

    private void check(EventType type, ObjectNode doc, Probe probe, List<String> out) {
        boolean schemaValid = ContractFiles.validate(type, doc).isEmpty();
        EventValidationException refusal = null;
        try {
            codec.decode(ContractFiles.bytes(doc), type.dataClass());
        } catch (EventValidationException e) {
            refusal = e;
        }
        String what = probe.path() + " (" + probe.description() + ")";
        if (schemaValid != probe.valid()) {
            out.add(what + ": schema says " + (schemaValid ? "valid" : "invalid"));
        }
        if ((refusal == null) != probe.valid()) {
            out.add(what + ": codec " + (refusal == null ? "accepts" : "refuses: " + refusal.getMessage()));
        }
        if (refusal != null && !refusal.field().startsWith(probe.path())) {
            out.add(what + ": refusal names " + refusal.field() + " (" + refusal.getMessage() + ")");
        }
    }

    @Test
    void schemaVersionZeroReadsAsAbsent() {
        EpochCompleted e = codec.decode("{\"schema_version\":0,\"run_id\":\"r1\",\"epoch\":1}", EpochCompleted.class);
        assertEquals(1, e.schemaVersion());
        assertFalse(ContractFiles.validate(EventType.EPOCH_COMPLETED,
                ContractFiles.readTree("{\"schema_version\":0,\"run_id\":\"r1\",\"epoch\":1}".getBytes())).isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode defs(EventType type) {
        return ContractFiles.schemaNode(type).get("$defs");
    }

    /** The property's schema with a local {@code $ref} inlined (siblings of the $ref win, as in 2020-12). */
    private static JsonNode resolve(JsonNode prop, JsonNode defs) {
        if (!prop.has("$ref")) {
            return prop;
        }
        String name = prop.get("$ref").asText().replace("#/$defs/", "");
        ObjectNode merged = ((ObjectNode) defs.get(name)).deepCopy();
        prop.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("$ref")) {
                merged.set(f.getKey(), f.getValue());
            }
        });
        return merged;
    }

    private static ObjectNode with(ObjectNode base, String path, JsonNode value) {
        ObjectNode copy = base.deepCopy();
        String[] parts = path.split("\\.");
        ObjectNode target = copy;
        for (int i = 0; i < parts.length - 1; i++) {
            target = (ObjectNode) target.get(parts[i]);
        }
        target.set(parts[parts.length - 1], value);
        return copy;
    }

    private static JsonNode node(Object v) {
        return ContractFiles.PLAIN.valueToTree(v);
    }

    private static JsonNode strings(int n, String value) {
        var array = NODES.arrayNode();
        for (int i = 0; i < n; i++) {
            array.add(value);
        }
        return array;
    }

    private static JsonNode map(int n, JsonNode value) {
        ObjectNode map = NODES.objectNode();
        for (int i = 0; i < n; i++) {
            map.set("entry" + i, value);
        }
        return map;
    }
}
