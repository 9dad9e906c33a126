package io.trainwatch.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kubectl kustomize DIR}, parsed into one JSON tree per object. Uses {@code $KUBECTL} or the {@code kubectl}
 * on PATH (Debian: package kubernetes-client). CI installs it ({@code .ci/run}) and sets
 * {@code TRAINWATCH_REQUIRE_KUBECTL=true}, so there a missing kubectl fails; elsewhere the tests that render are
 * skipped with a message.
 */
final class Kubectl {

    static final YAMLMapper YAML = new YAMLMapper();

    private Kubectl() {
    }

    /** The kubectl to run, or a skipped (or, when required, failed) test when there is none. */
    static String require() {
        String explicit = System.getenv("KUBECTL");
        String found = explicit != null && !explicit.isBlank() ? explicit : onPath("kubectl");
        boolean required = Boolean.parseBoolean(System.getenv().getOrDefault("TRAINWATCH_REQUIRE_KUBECTL", "false"));
        if (found == null && required) {
            throw new AssertionError("TRAINWATCH_REQUIRE_KUBECTL=true but kubectl is not on PATH (apt-get install kubernetes-client)");
        }
        Assumptions.assumeTrue(found != null,
                "kubectl not found: manifests not rendered (install Debian's kubernetes-client, or set KUBECTL)");
        return found;
    }

    /** The objects {@code kubectl kustomize dir} renders; fails with kubectl's own message when it refuses. */
    static List<JsonNode> kustomize(Path dir) {
        String kubectl = require();
        try {
            Path out = Files.createTempFile("kustomize", ".yaml");
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process process = new ProcessBuilder(kubectl, "kustomize", dir.toString())
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("kubectl kustomize " + dir + " took longer than 120 s");
                }
                if (process.exitValue() != 0) {
                    throw new KustomizeException(dir + ": kubectl kustomize exited " + process.exitValue() + ": "
                            + Files.readString(err, StandardCharsets.UTF_8).strip());
                }
                return parse(Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + kubectl + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while rendering " + dir, e);
        }
    }

    static List<JsonNode> parse(String yaml) throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    objects.add(doc);
                }
            }
        }
        return objects;
    }

    private static String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /** kubectl refused to render: a broken kustomization, not a broken test. */
    static final class KustomizeException extends AssertionError {
        KustomizeException(String message) {
            super(message);
        }
    }
}
