package io.trainwatch.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kustomization renders with kubectl, and every object it renders passes the strict schema. */
class ManifestSchemaTest {

    static List<String> kustomizations() {
        return Manifests.kustomizations();
    }

    @Test
    void theDevAndGpuOverlaysExist() {
        assertTrue(kustomizations().containsAll(List.of("base", "overlays/dev", "overlays/gpu")), kustomizations()::toString);
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void rendersAndEveryObjectValidates(String kustomization) {
        List<JsonNode> objects = Manifests.rendered(kustomization);
        assertFalse(objects.isEmpty(), kustomization + " rendered nothing");
        List<String> problems = objects.stream().flatMap(o -> ManifestSchema.problems(o).stream()).toList();
        assertEquals(List.of(), problems, kustomization);
    }

    @Test
    void theDevOverlayHasEveryPart() {
        Map<String, Long> kinds = Manifests.rendered("overlays/dev").stream()
                .collect(Collectors.groupingBy(o -> o.path("kind").asText(), TreeMap::new, Collectors.counting()));
        assertEquals(new TreeMap<>(Map.ofEntries(
                Map.entry("Namespace", 1L), Map.entry("ConfigMap", 1L), Map.entry("Secret", 2L),
                Map.entry("Kafka", 1L), Map.entry("KafkaNodePool", 1L), Map.entry("KafkaTopic", (long) Topics.ALL.size()),
                Map.entry("Cluster", 1L), Map.entry("Deployment", 1L), Map.entry("Service", 2L),
                Map.entry("PodDisruptionBudget", 1L), Map.entry("HorizontalPodAutoscaler", 1L),
                Map.entry("StatefulSet", 1L), Map.entry("NetworkPolicy", 2L))), kinds);
        assertTrue(Manifests.rendered("overlays/dev").stream()
                .allMatch(o -> "trainwatch".equals(o.path("metadata").path("namespace").asText())
                        || "Namespace".equals(o.path("kind").asText())), "every object in namespace trainwatch");
    }

    @Test
    void theShapeIsSeveralReplicasOfEachApp() {
        for (String kustomization : kustomizations()) {
            List<JsonNode> objects = Manifests.rendered(kustomization);
            assertTrue(Manifests.one(objects, "Deployment", "metrics-api").path("spec").path("replicas").asInt() >= 2,
                    kustomization + ": metrics-api replicas");
            assertTrue(Manifests.one(objects, "HorizontalPodAutoscaler", "metrics-api").path("spec").path("minReplicas").asInt() >= 2,
                    kustomization + ": HPA minReplicas");
            assertTrue(Manifests.one(objects, "StatefulSet", "trainer-host").path("spec").path("replicas").asInt() >= 2,
                    kustomization + ": trainer-host replicas");
        }
    }

    @Test
    void theGpuOverlayGivesEachTrainerHostAGpuAndTheGpuImage() {
        JsonNode container = Manifests.one(Manifests.rendered("overlays/gpu"), "StatefulSet", "trainer-host")
                .path("spec").path("template").path("spec").path("containers").get(0);
        assertEquals(1, container.path("resources").path("limits").path("nvidia.com/gpu").asInt(), container::toString);
        assertTrue(container.path("image").asText().endsWith("-gpu"), container.path("image").asText());
    }

    // ---- the check must fail on what it is there to catch ----

    @Test
    void aMisspeltFieldInACoreObjectFails(@TempDir Path dir) throws IOException {
        String deployment = read("base/metrics-api/deployment.yaml");
        assertEquals(List.of(), problemsOf(dir.resolve("good"), "deployment.yaml", deployment), "the unchanged copy is valid");

        List<String> problems = problemsOf(dir.resolve("bad"), "deployment.yaml",
                deployment.replace("readinessProbe:", "readinesProbe:"));
        assertTrue(problems.stream().anyMatch(p -> p.contains("readinesProbe")), problems::toString);
    }

    @Test
    void aWrongTypeInACoreObjectFails(@TempDir Path dir) throws IOException {
        List<String> problems = problemsOf(dir, "service.yaml",
                read("base/metrics-api/service.yaml").replace("port: 8080", "port: http-port"));
        assertTrue(problems.stream().anyMatch(p -> p.contains("/spec/ports/0/port")), problems::toString);
    }

    @Test
    void aMisspeltFieldInACustomResourceFails(@TempDir Path dir) throws IOException {
        List<String> problems = problemsOf(dir, "topics.yaml",
                read("base/kafka/topics.yaml").replace("  partitions: 12", "  partition: 12"));
        assertTrue(problems.stream().anyMatch(p -> p.contains("partition") && p.startsWith("KafkaTopic/")), problems::toString);
    }

    @Test
    void aPostgresParameterThatIsNotAStringFails(@TempDir Path dir) throws IOException {
        List<String> problems = problemsOf(dir, "cluster.yaml",
                read("base/postgres/cluster.yaml").replace("max_connections: \"300\"", "max_connections: 300"));
        assertTrue(problems.stream().anyMatch(p -> p.contains("max_connections")), problems::toString);
    }

    @Test
    void anUnknownKindFails() throws IOException {
        JsonNode ingress = Kubectl.parse("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\n").get(0);
        assertFalse(ManifestSchema.problems(ingress).isEmpty());
    }

    /** Renders one manifest file through kubectl (as the overlays are) and validates what comes out. */
    private static List<String> problemsOf(Path dir, String fileName, String manifest) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(fileName), manifest, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - " + fileName + "\n", StandardCharsets.UTF_8);
        return Kubectl.kustomize(dir).stream().flatMap(o -> ManifestSchema.problems(o).stream()).toList();
    }

    private static String read(String relative) throws IOException {
        return Files.readString(Manifests.KUBERNETES_DIR.resolve(relative), StandardCharsets.UTF_8);
    }
}
