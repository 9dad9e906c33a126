package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.ContractFiles.Example;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden examples are valid by the schema, decode, and survive a round trip through the codec unchanged. */
class GoldenExamplesTest {

    private final EventCodec codec = EventCodec.instance();

    static List<Example> examples() {
        return ContractFiles.examples();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleIsValidByItsSchema(Example example) {
        var errors = ContractFiles.validate(example.type(), example.bytes());
        assertTrue(errors.isEmpty(), example + ": " + ContractFiles.describe(errors));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleRoundTripsThroughTheCodec(Example example) {
        TrainwatchEvent decoded = codec.decode(example.type().ceType(), example.bytes());
        assertEquals(example.type().dataClass(), decoded.getClass());

        byte[] encoded = codec.encode(decoded);
        var errors = ContractFiles.validate(example.type(), encoded);
        assertTrue(errors.isEmpty(), example + " re-encoded: " + ContractFiles.describe(errors));
        assertEquals(decoded, codec.decode(example.type().ceType(), encoded), example + ": decode(encode(x)) != x");

        // Nothing the example says is lost or altered; the only addition allowed is the defaulted schema_version.
        JsonNode original = example.tree();
        JsonNode reencoded = ContractFiles.readTree(encoded);
        Set<String> originalFields = fieldNames(original);
        originalFields.add("schema_version");
        assertEquals(originalFields, fieldNames(reencoded), example + ": field set changed by the round trip");
        for (Iterator<String> it = original.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            assertTrue(sameJson(original.get(field), reencoded.get(field)),
                    example + ": " + field + " was " + original.get(field) + ", re-encoded " + reencoded.get(field));
        }
    }

    /** The full example shows every property of the schema, nested ones too, so it documents all of them. */
    @ParameterizedTest
    @EnumSource(EventType.class)
    void fullExampleShowsEveryProperty(EventType type) {
        JsonNode schema = ContractFiles.schemaNode(type);
        JsonNode full = ContractFiles.exampleTree(type, "full");
        List<String> missing = new ArrayList<>();
        missingProperties(schema, full, "", missing);
        assertTrue(missing.isEmpty(), type + "/full.json lacks " + missing);
    }

    /** The minimal example is exactly the required fields: it shows what a partial reporter must send. */
    @ParameterizedTest
    @EnumSource(EventType.class)
    void minimalExampleHasOnlyTheRequiredFields(EventType type) {
        JsonNode minimal = ContractFiles.exampleTree(type, "minimal");
        Set<String> required = new TreeSet<>();
        ContractFiles.schemaNode(type).get("required").forEach(r -> required.add(r.asText()));
        assertEquals(required, fieldNames(minimal));
    }

    @Test
    void epochCompletedHasTheSpecialExamples() {
        Set<String> names = new TreeSet<>();
        examples().stream().filter(e -> e.type() == EventType.EPOCH_COMPLETED).forEach(e -> names.add(e.name()));
        assertTrue(names.containsAll(List.of("full", "minimal", "non-finite", "non-ascii", "extra-metrics")), names.toString());
    }

    @Test
    void examplesAreWrittenAsUtf8WithoutEscapes() {
        // Humans read these files: non-ASCII names appear as themselves, not as \\u escapes.
        for (Example e : examples()) {
            assertFalse(new String(e.bytes(), java.nio.charset.StandardCharsets.UTF_8).contains("\\u"), e.toString());
        }
    }

    private static void missingProperties(JsonNode schema, JsonNode instance, String prefix, List<String> missing) {
        JsonNode props = schema.get("properties");
        if (props == null) {
            return;
        }
        for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!instance.has(name)) {
                missing.add(prefix + name);
            } else if (props.get(name).has("properties")) {
                missingProperties(props.get(name), instance.get(name), prefix + name + ".", missing);
            }
        }
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Equal JSON, comparing numbers by value (0.0010 and 0.001 are one number; 1 and 1.0 are not told apart). */
    private static boolean sameJson(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (!fieldNames(a).equals(fieldNames(b))) {
                return false;
            }
            for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!sameJson(a.get(f), b.get(f))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameJson(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }
}
