package io.trainwatch.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Test access to the published contract files: the JSON Schemas and the golden examples, read from the classpath
 * exactly as a consumer of the jar would read them.
 */
final class ContractFiles {

    /**
     * A plain mapper for schema validation. It is deliberately not the codec's mapper: the schema must judge the
     * JSON as any producer wrote it, without the codec's leniency.
     */
    static final ObjectMapper PLAIN = new ObjectMapper();

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    /** "format": "date-time" is only an annotation in 2020-12 unless asserted; the contract means it. */
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .build();

    private static final Map<EventType, JsonNode> SCHEMA_NODES = new EnumMap<>(EventType.class);
    private static final Map<EventType, JsonSchema> SCHEMAS = new EnumMap<>(EventType.class);

    static {
        for (EventType type : EventType.values()) {
            JsonNode node = readTree(type.schemaResource());
            SCHEMA_NODES.put(type, node);
            SCHEMAS.put(type, FACTORY.getSchema(node, CONFIG));
        }
    }

    /** One golden example: its event type, its file name and its JSON as written. */
    record Example(EventType type, String name, byte[] bytes) {
        JsonNode tree() {
            return ContractFiles.readTree(bytes);
        }

        @Override
        public String toString() {
            return type.baseName() + "/" + name;
        }
    }

    private ContractFiles() {
    }

    static JsonNode schemaNode(EventType type) {
        return SCHEMA_NODES.get(type);
    }

    /** Validation messages of {@code json} against the schema of {@code type}; empty when valid. */
    static Set<ValidationMessage> validate(EventType type, JsonNode json) {
        return SCHEMAS.get(type).validate(json);
    }

    static Set<ValidationMessage> validate(EventType type, byte[] json) {
        return validate(type, readTree(json));
    }

    static String describe(Set<ValidationMessage> messages) {
        return messages.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; "));
    }

    /** Every golden example, of every event type, sorted by type and name. */
    static List<Example> examples() {
        try {
            URL root = ContractFiles.class.getClassLoader().getResource("examples");
            if (root == null) {
                throw new IllegalStateException("no examples/ on the classpath");
            }
            Path dir = Path.of(root.toURI());
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(p -> p.toString().endsWith(".json"))
                        .sorted()
                        .map(p -> {
                            // examples/<base name>/<name>.json (EventType.exampleResource)
                            String dirName = p.getParent().getFileName().toString();
                            EventType type = Arrays.stream(EventType.values()).filter(t -> t.baseName().equals(dirName))
                                    .findFirst().orElseThrow(() -> new IllegalStateException("examples/" + dirName
                                            + " is not an event type's base name"));
                            String name = p.getFileName().toString().replace(".json", "");
                            try {
                                return new Example(type, name, Files.readAllBytes(p));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        })
                        .toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Example example(EventType type, String name) {
        return examples().stream().filter(e -> e.type() == type && e.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no example " + type + "/" + name));
    }

    static ObjectNode exampleTree(EventType type, String name) {
        return (ObjectNode) example(type, name).tree();
    }

    static JsonNode readTree(String resource) {
        try (InputStream in = ContractFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return PLAIN.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readTree(byte[] json) {
        try {
            return PLAIN.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(JsonNode json) {
        try {
            return PLAIN.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
