package io.trainwatch.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The trimmed, strict schema in kubernetes.schema.yaml: the problems of one object, each naming its path. */
final class ManifestSchema {

    private static final JsonSchema SCHEMA = load();

    private ManifestSchema() {
    }

    /** Empty when the object is valid; else one line per problem, prefixed with Kind/name. */
    static List<String> problems(JsonNode object) {
        return SCHEMA.validate(object).stream()
                .map(ValidationMessage::getMessage)
                .sorted()
                .map(message -> Manifests.id(object) + ": " + message)
                .toList();
    }

    private static JsonSchema load() {
        try (InputStream in = ManifestSchema.class.getResourceAsStream("/kubernetes.schema.yaml")) {
            if (in == null) {
                throw new IllegalStateException("kubernetes.schema.yaml is not on the test class path");
            }
            JsonNode node = Kubectl.YAML.readTree(in);
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(node, SchemaValidatorsConfig.builder().build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
