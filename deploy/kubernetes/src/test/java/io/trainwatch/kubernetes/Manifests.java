package io.trainwatch.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** Where the kustomizations are, and what each renders (rendered once per test JVM). */
final class Manifests {

    static final Path KUBERNETES_DIR = Path.of(System.getProperty("trainwatch.kubernetes.dir", "."))
            .toAbsolutePath().normalize();
    static final Path REPO_DIR = Path.of(System.getProperty("trainwatch.repo.dir", "../.."))
            .toAbsolutePath().normalize();

    private static final Map<String, List<JsonNode>> RENDERED = new ConcurrentHashMap<>();

    private Manifests() {
    }

    /** "base" and every overlays/NAME that holds a kustomization.yaml, as paths relative to deploy/kubernetes. */
    static List<String> kustomizations() {
        List<String> names = new ArrayList<>(List.of("base"));
        try (Stream<Path> overlays = Files.list(KUBERNETES_DIR.resolve("overlays"))) {
            overlays.filter(dir -> Files.isRegularFile(dir.resolve("kustomization.yaml")))
                    .map(dir -> "overlays/" + dir.getFileName())
                    .sorted()
                    .forEach(names::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    static List<JsonNode> rendered(String kustomization) {
        return RENDERED.computeIfAbsent(kustomization, k -> Kubectl.kustomize(KUBERNETES_DIR.resolve(k)));
    }

    static List<JsonNode> ofKind(List<JsonNode> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    static JsonNode one(List<JsonNode> objects, String kind, String name) {
        List<JsonNode> found = ofKind(objects, kind).stream()
                .filter(o -> name.equals(o.path("metadata").path("name").asText()))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + " " + name + ", found " + found.size());
        }
        return found.get(0);
    }

    /** "Kind/name" for messages. */
    static String id(JsonNode object) {
        return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
    }
}
