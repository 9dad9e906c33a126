package io.trainwatch.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.Limits;
import io.trainwatch.contracts.Topics;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifests say what the apps use: the contract's topics, the ports and health endpoints the apps serve, only
 * environment variables the apps read, and values that point at what the operators create.
 */
class ManifestsMatchAppsTest {

    /** docs/contracts.md § Topics: 12 partitions per topic, as the local stack creates them. */
    private static final int PARTITIONS = 12;

    private static final AppConfig METRICS_API = AppConfig.of("metrics-api");
    private static final AppConfig TRAINER_HOST = AppConfig.of("trainer-host");
    /** Workload (Deployment or StatefulSet) name → the app's module. */
    private static final Map<String, AppConfig> APPS = Map.of("metrics-api", METRICS_API, "trainer-host", TRAINER_HOST);

    private static List<JsonNode> dev() {
        return Manifests.rendered("overlays/dev");
    }

    @Test
    void theTopicsAreTheContractsTopics() {
        for (String kustomization : Manifests.kustomizations()) {
            List<JsonNode> objects = Manifests.rendered(kustomization);
            String kafka = Manifests.ofKind(objects, "Kafka").get(0).path("metadata").path("name").asText();
            int brokers = Manifests.ofKind(objects, "KafkaNodePool").stream()
                    .filter(pool -> pool.path("spec").path("roles").toString().contains("broker"))
                    .mapToInt(pool -> pool.path("spec").path("replicas").asInt()).sum();
            Set<String> names = new HashSet<>();
            for (JsonNode topic : Manifests.ofKind(objects, "KafkaTopic")) {
                String where = kustomization + " " + Manifests.id(topic);
                JsonNode spec = topic.path("spec");
                names.add(spec.path("topicName").asText());
                assertEquals(spec.path("topicName").asText(), topic.path("metadata").path("name").asText(), where);
                assertEquals(kafka, topic.path("metadata").path("labels").path("strimzi.io/cluster").asText(), where);
                assertEquals(PARTITIONS, spec.path("partitions").asInt(), where + " partitions");
                int replicas = spec.path("replicas").asInt();
                int minIsr = spec.path("config").path("min.insync.replicas").asInt();
                assertTrue(replicas <= brokers, where + ": " + replicas + " replicas on " + brokers + " brokers");
                // acks=all must survive one broker down wherever there is more than one.
                assertTrue(minIsr >= 1 && (replicas == 1 ? minIsr == 1 : minIsr < replicas), where + " min.insync.replicas");
                assertTrue(spec.path("config").path("max.message.bytes").asLong() > Limits.MAX_EVENT_BYTES,
                        where + ": max.message.bytes must hold the largest event");
            }
            assertEquals(Set.copyOf(Topics.ALL), names, kustomization);
        }
    }

    @Test
    void runEventsAreKeptNoLongerThanMetricsApiRemembersEventIds() {
        JsonNode events = Manifests.one(dev(), "KafkaTopic", Topics.RUN_EVENTS);
        Duration retention = Duration.ofMillis(events.path("spec").path("config").path("retention.ms").asLong());
        Duration remembered = Duration.parse(METRICS_API.get("trainwatch.ingest.processed-retention"));
        assertTrue(retention.compareTo(remembered) <= 0, retention + " > " + remembered);
    }

    @Test
    void portsAndProbesAreTheOnesTheAppsServe() {
        for (String kustomization : Manifests.kustomizations()) {
            List<JsonNode> objects = Manifests.rendered(kustomization);
            for (Map.Entry<String, AppConfig> app : APPS.entrySet()) {
                String where = kustomization + " " + app.getKey();
                JsonNode container = container(objects, app.getKey());
                int port = app.getValue().httpPort();
                assertEquals(List.of("http:" + port), portsOf(container), where);
                assertProbe(container, "startupProbe", "/q/health/started", where);
                assertProbe(container, "readinessProbe", "/q/health/ready", where);
                assertProbe(container, "livenessProbe", "/q/health/live", where);

                JsonNode service = Manifests.one(objects, "Service", app.getKey());
                assertEquals("http", service.path("spec").path("ports").get(0).path("targetPort").asText(), where);
                assertEquals(port, service.path("spec").path("ports").get(0).path("port").asInt(), where);
                JsonNode policy = Manifests.one(objects, "NetworkPolicy", app.getKey());
                assertEquals(port, policy.path("spec").path("ingress").get(0).path("ports").get(0).path("port").asInt(), where);
            }
        }
    }

    @Test
    void everyEnvironmentVariableIsOneTheAppReadsAndEveryReferenceResolves() {
        for (String kustomization : List.of("overlays/dev", "overlays/gpu")) {
            List<JsonNode> objects = Manifests.rendered(kustomization);
            for (Map.Entry<String, AppConfig> app : APPS.entrySet()) {
                for (JsonNode env : container(objects, app.getKey()).path("env")) {
                    String name = env.path("name").asText();
                    String where = kustomization + " " + app.getKey() + " env " + name;
                    assertTrue(app.getValue().readsEnv(name), where + ": " + app.getKey() + " does not read it");
                    JsonNode from = env.path("valueFrom");
                    if (from.has("configMapKeyRef")) {
                        assertFalse(configValue(objects, from.path("configMapKeyRef")).isBlank(), where);
                    } else if (from.has("secretKeyRef")) {
                        assertFalse(secretValue(objects, from.path("secretKeyRef")).isBlank(), where);
                    } else {
                        assertTrue(env.has("value"), where);
                    }
                }
            }
        }
    }

    @Test
    void theEnvironmentCheckRefusesANameNoAppReads() {
        assertTrue(METRICS_API.readsEnv("QUARKUS_DATASOURCE_PASSWORD"));
        assertFalse(METRICS_API.readsEnv("QUARKUS_DATASOURCE_PASWORD"));
        assertFalse(METRICS_API.readsEnv("KAFKA_BOOTSTRAP_SERVER"));
        assertTrue(TRAINER_HOST.readsEnv("TRAINWATCH_SPOOL_DIR"));
        assertTrue(TRAINER_HOST.readsEnv("TRAINWATCH_JOBS_MAX_CONCURRENT"));
        assertFalse(TRAINER_HOST.readsEnv("TRAINWATCH_SPOOL_DIRECTORY"));
        assertFalse(TRAINER_HOST.readsEnv("QUARKUS_DATASOURCE_USERNAME"));
    }

    @Test
    void connectionSettingsPointAtWhatTheOperatorsCreate() {
        List<JsonNode> objects = dev();
        JsonNode config = Manifests.one(objects, "ConfigMap", "trainwatch-config").path("data");
        JsonNode kafka = Manifests.ofKind(objects, "Kafka").get(0);
        JsonNode listener = kafka.path("spec").path("kafka").path("listeners").get(0);
        assertEquals(kafka.path("metadata").path("name").asText() + "-kafka-bootstrap:" + listener.path("port").asInt(),
                config.path("KAFKA_BOOTSTRAP_SERVERS").asText());

        JsonNode cluster = Manifests.ofKind(objects, "Cluster").get(0);
        JsonNode initdb = cluster.path("spec").path("bootstrap").path("initdb");
        String primary = cluster.path("metadata").path("name").asText() + "-rw:5432/" + initdb.path("database").asText();
        assertEquals("jdbc:postgresql://" + primary, config.path("QUARKUS_DATASOURCE_JDBC_URL").asText());
        assertEquals("postgresql://" + primary, config.path("QUARKUS_DATASOURCE_REACTIVE_URL").asText());

        JsonNode secret = Manifests.one(objects, "Secret", initdb.path("secret").path("name").asText());
        assertEquals("kubernetes.io/basic-auth", secret.path("type").asText(), "CloudNativePG wants a basic-auth Secret");
        assertEquals(initdb.path("owner").asText(), decode(secret.path("data").path("username").asText()));
        for (JsonNode env : container(objects, "metrics-api").path("env")) {
            JsonNode ref = env.path("valueFrom").path("secretKeyRef");
            if (!ref.isMissingNode()) {
                assertEquals(secret.path("metadata").path("name").asText(), ref.path("name").asText(), env.toString());
            }
        }
    }

    @Test
    void imagesAreTheOnesTheContainerImageBuildMakes() {
        String version = System.getProperty("trainwatch.project.version");
        for (Map.Entry<String, AppConfig> app : APPS.entrySet()) {
            AppConfig config = app.getValue();
            String expected = config.get("quarkus.container-image.group") + "/" + config.get("quarkus.container-image.name")
                    + ":" + version;
            assertEquals(expected, container(Manifests.rendered("overlays/dev"), app.getKey()).path("image").asText());
        }
    }

    private static JsonNode container(List<JsonNode> objects, String workload) {
        List<JsonNode> found = new ArrayList<>();
        for (String kind : List.of("Deployment", "StatefulSet")) {
            Manifests.ofKind(objects, kind).stream()
                    .filter(o -> workload.equals(o.path("metadata").path("name").asText()))
                    .forEach(found::add);
        }
        assertEquals(1, found.size(), "one workload named " + workload);
        return found.get(0).path("spec").path("template").path("spec").path("containers").get(0);
    }

    private static List<String> portsOf(JsonNode container) {
        List<String> ports = new ArrayList<>();
        container.path("ports").forEach(p -> ports.add(p.path("name").asText() + ":" + p.path("containerPort").asInt()));
        return ports;
    }

    private static void assertProbe(JsonNode container, String probe, String path, String where) {
        JsonNode get = container.path(probe).path("httpGet");
        assertEquals(path, get.path("path").asText(), where + " " + probe);
        assertEquals("http", get.path("port").asText(), where + " " + probe + " port");
    }

    private static String configValue(List<JsonNode> objects, JsonNode ref) {
        JsonNode value = Manifests.one(objects, "ConfigMap", ref.path("name").asText()).path("data").path(ref.path("key").asText());
        assertTrue(value.isTextual(), "ConfigMap " + ref + " has the key");
        return value.asText();
    }

    private static String secretValue(List<JsonNode> objects, JsonNode ref) {
        JsonNode value = Manifests.one(objects, "Secret", ref.path("name").asText()).path("data").path(ref.path("key").asText());
        assertTrue(value.isTextual(), "Secret " + ref + " has the key");
        return decode(value.asText());
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
