package io.trainwatch.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Checks exchanges against a live OpenAPI 3.1 document: the operation exists, the status code is one of its
 * responses, the content type is one it declares, and a JSON body validates against the declared schema (JSON Schema
 * 2020-12, with the document's {@code components} as the reference root). Records which operations and statuses were
 * seen, so a test can demand that every operation was exercised.
 */
final class OpenApiValidator {

    record Operation(String id, String method, String template, Pattern pattern, JsonNode node) {
    }

    private static final String SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema";

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonNode document;
    private final JsonNode strictComponents;
    private final List<Operation> operations = new ArrayList<>();
    private final Map<String, Set<String>> seen = new TreeMap<>();
    private final Map<String, JsonSchema> schemas = new java.util.HashMap<>();
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    OpenApiValidator(String documentJson) throws IOException {
        document = mapper.readTree(documentJson);
        strictComponents = strict(document.get("components"));
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            Pattern pattern = Pattern.compile("^" + path.getKey().replaceAll("\\{[^/]+}", "[^/]+") + "$");
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(op.getKey())) {
                    operations.add(new Operation(op.getValue().path("operationId").asText(null),
                            op.getKey().toUpperCase(Locale.ROOT), path.getKey(), pattern, op.getValue()));
                }
            }
        }
    }

    JsonNode document() {
        return document;
    }

    List<Operation> operations() {
        return List.copyOf(operations);
    }

    Set<String> operationIds() {
        Set<String> ids = new TreeSet<>();
        operations.forEach(o -> ids.add(o.id()));
        return ids;
    }

    /** The statuses the document lists for an operation. */
    Set<String> documentedStatuses(String operationId) {
        Set<String> out = new TreeSet<>();
        operations.stream().filter(o -> o.id().equals(operationId))
                .forEach(o -> o.node().path("responses").fieldNames().forEachRemaining(out::add));
        return out;
    }

    /** Operation id → the statuses seen for it. */
    Map<String, Set<String>> seen() {
        return seen;
    }

    /** The problems of one exchange; empty when the document describes it. {@code path} has no query string. */
    List<String> check(String method, String path, int status, String contentType, String body) {
        return check(method, path, status, contentType, body, null);
    }

    /**
     * As above, and the response headers the document marks required must have been sent ({@code headers}: the
     * response's header by name, null when the caller cannot see the headers).
     */
    List<String> check(String method, String path, int status, String contentType, String body,
                       UnaryOperator<String> headers) {
        String exchange = method + " " + path + " -> " + status;
        Operation op = operations.stream().filter(o -> o.method().equals(method) && o.pattern().matcher(path).matches())
                .findFirst().orElse(null);
        if (op == null) {
            return List.of(exchange + ": no operation in the document");
        }
        seen.computeIfAbsent(op.id(), k -> new TreeSet<>()).add(Integer.toString(status));
        JsonNode response = op.node().path("responses").get(Integer.toString(status));
        if (response == null) {
            response = op.node().path("responses").get(status / 100 + "XX");
        }
        if (response == null) {
            response = op.node().path("responses").get("default");
        }
        if (response == null) {
            return List.of(exchange + ": status not documented for " + op.id());
        }
        response = resolve(response);
        List<String> out = new ArrayList<>();
        if (headers != null) {
            for (Iterator<Map.Entry<String, JsonNode>> h = response.path("headers").fields(); h.hasNext(); ) {
                Map.Entry<String, JsonNode> header = h.next();
                if (resolve(header.getValue()).path("required").asBoolean(false) && headers.apply(header.getKey()) == null) {
                    out.add(exchange + ": required header " + header.getKey() + " missing");
                }
            }
        }
        out.addAll(checkBody(exchange, op, status, response, contentType, body));
        return out;
    }

    private List<String> checkBody(String exchange, Operation op, int status, JsonNode response, String contentType,
                                   String body) {
        boolean empty = body == null || body.isEmpty();
        if (empty && !response.has("content")) {
            return List.of();
        }
        if (contentType == null) {
            return empty ? List.of() : List.of(exchange + ": a body without a content type");
        }
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        JsonNode media = response.path("content").get(mediaType);
        if (media == null) {
            return List.of(exchange + ": content type " + mediaType + " not documented for " + op.id() + " " + status
                    + " (documented: " + fieldNames(response.path("content")) + ")");
        }
        if (empty || !(mediaType.endsWith("json")) || !media.has("schema")) {
            return List.of();
        }
        return validate(exchange, media.get("schema"), body);
    }

    /** The problems of a JSON value against a schema of the document (e.g. {@code {"$ref": "#/components/..."}}). */
    List<String> validate(String where, JsonNode schema, String json) {
        JsonSchema compiled = compiled(schema);
        try {
            Set<ValidationMessage> errors = compiled.validate(mapper.readTree(json));
            List<String> out = new ArrayList<>();
            errors.forEach(m -> out.add(where + ": " + m.getMessage()));
            return out;
        } catch (IOException e) {
            return List.of(where + ": body is not JSON: " + e.getMessage());
        }
    }

    /**
     * The components, with the documents the API builds closed: a field the document does not declare is a
     * violation here. The published document stays open (clients should accept additive fields); the contracts'
     * event schemas stay open by design ({@code title} marks them and their derived views). A schema that is part of
     * an {@code allOf} cannot close itself (it cannot see its siblings' fields): the composite closes instead.
     */
    private static JsonNode strict(JsonNode components) {
        ObjectNode copy = components.deepCopy();
        ObjectNode schemas = (ObjectNode) copy.get("schemas");
        Set<String> parts = new TreeSet<>();
        for (JsonNode allOf : schemas.findValues("allOf")) {
            allOf.forEach(part -> parts.add(part.path("$ref").asText("").replace(COMPONENT, "")));
        }
        List<String> names = new ArrayList<>();
        schemas.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode schema = schemas.get(name);
            boolean contract = schema.has("title") || name.startsWith("Contract");
            if (contract || !(schema.has("allOf") || schema.has("properties"))) {
                continue;
            }
            if (parts.contains(name) && !schema.has("allOf")) {
                // Used inside an allOf: open there; a closed twin serves every other use.
                schemas.set(name + CLOSED, ((ObjectNode) schema.deepCopy()).put("unevaluatedProperties", false));
            } else {
                ((ObjectNode) schema).put("unevaluatedProperties", false);
            }
        }
        closeRefs(copy, false, parts);
        return copy;
    }

    private static final String COMPONENT = "#/components/schemas/";
    private static final String CLOSED = "__closed";

    private static void closeRefs(JsonNode node, boolean inAllOf, Set<String> parts) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            String ref = object.path("$ref").asText("");
            if (!inAllOf && ref.startsWith(COMPONENT) && parts.contains(ref.substring(COMPONENT.length()))
                    && !ref.endsWith(CLOSED)) {
                object.put("$ref", ref + CLOSED);
            }
            object.fields().forEachRemaining(e -> closeRefs(e.getValue(), e.getKey().equals("allOf"), parts));
        } else if (node.isArray()) {
            node.forEach(item -> closeRefs(item, inAllOf, parts));
        }
    }

    /** The schema with the document's components beside it, so that its {@code #/components/...} refs resolve. */
    private JsonSchema compiled(JsonNode schema) {
        return schemas.computeIfAbsent(schema.toString(), key -> {
            ObjectNode root = mapper.createObjectNode();
            root.put("$schema", SCHEMA_2020_12);
            root.set("components", strictComponents);
            schema.fields().forEachRemaining(e -> root.set(e.getKey(), e.getValue()));
            return factory.getSchema(root);
        });
    }

    private JsonNode resolve(JsonNode node) {
        for (int i = 0; i < 10 && node.has("$ref"); i++) {
            node = document.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
