package io.trainwatch.metrics.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.media.Schema;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns a draft 2020-12 JSON Schema document into the MicroProfile OpenAPI model (OpenAPI 3.1's Schema Object is
 * JSON Schema 2020-12, so every keyword carries over). {@code $ref}s are rewritten by the given function, so that a
 * contract's local {@code #/$defs/x} can point at a shared component.
 */
final class JsonSchemaModels {

    private static final java.util.Set<String> BOUNDS = java.util.Set.of("minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "multipleOf");

    private JsonSchemaModels() {
    }

    static Schema toSchema(JsonNode node, UnaryOperator<String> refs) {
        Schema schema = OASFactory.createSchema();
        node.fields().forEachRemaining(e -> {
            String key = e.getKey();
            JsonNode value = e.getValue();
            switch (key) {
                case "$schema", "$id", "$defs" -> {
                    // Dropped: an embedded $id would change the base URI of the component refs inside it.
                }
                case "$ref" -> schema.setRef(refs.apply(value.asText()));
                case "type" -> {
                    List<Schema.SchemaType> types = new ArrayList<>();
                    if (value.isArray()) {
                        value.forEach(t -> types.add(Schema.SchemaType.valueOf(t.asText().toUpperCase())));
                    } else {
                        types.add(Schema.SchemaType.valueOf(value.asText().toUpperCase()));
                    }
                    schema.setType(types);
                }
                case "properties" -> {
                    Map<String, Schema> properties = new LinkedHashMap<>();
                    value.fields().forEachRemaining(p -> properties.put(p.getKey(), toSchema(p.getValue(), refs)));
                    schema.setProperties(properties);
                }
                case "items" -> schema.setItems(toSchema(value, refs));
                case "propertyNames" -> schema.setPropertyNames(toSchema(value, refs));
                case "not" -> schema.setNot(toSchema(value, refs));
                case "additionalProperties" -> {
                    if (value.isBoolean()) {
                        schema.setAdditionalPropertiesBoolean(value.booleanValue());
                    } else {
                        schema.setAdditionalPropertiesSchema(toSchema(value, refs));
                    }
                }
                case "anyOf" -> schema.setAnyOf(list(value, refs));
                case "oneOf" -> schema.setOneOf(list(value, refs));
                case "allOf" -> schema.setAllOf(list(value, refs));
                case "required" -> {
                    List<String> required = new ArrayList<>();
                    value.forEach(r -> required.add(r.asText()));
                    schema.setRequired(required);
                }
                case "enum" -> {
                    List<Object> values = new ArrayList<>();
                    value.forEach(v -> values.add(plain(v)));
                    schema.setEnumeration(values);
                }
                default -> {
                    if (value.isObject() && value.size() > 0 && isSchemaMap(key)) {
                        throw new IllegalArgumentException("JSON Schema keyword \"" + key + "\" is not supported here");
                    }
                    // The model keeps bounds as BigDecimal (its typed getters cast to it).
                    schema.set(key, BOUNDS.contains(key) ? value.decimalValue() : plain(value));
                }
            }
        });
        return schema;
    }

    private static boolean isSchemaMap(String key) {
        return key.equals("patternProperties") || key.equals("dependentSchemas") || key.equals("if")
                || key.equals("then") || key.equals("else") || key.equals("contains") || key.equals("prefixItems");
    }

    private static List<Schema> list(JsonNode array, UnaryOperator<String> refs) {
        List<Schema> out = new ArrayList<>();
        array.forEach(s -> out.add(toSchema(s, refs)));
        return out;
    }

    /** A JSON value as the plain Java value the model serialises back unchanged. */
    static Object plain(JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue().bitLength() < 32 ? (Object) v.intValue() : new BigDecimal(v.bigIntegerValue());
        }
        if (v.isNumber()) {
            return v.decimalValue();
        }
        if (v.isArray()) {
            List<Object> out = new ArrayList<>();
            v.forEach(x -> out.add(plain(x)));
            return out;
        }
        if (v.isObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            v.fields().forEachRemaining(f -> out.put(f.getKey(), plain(f.getValue())));
            return out;
        }
        return null;
    }
}
