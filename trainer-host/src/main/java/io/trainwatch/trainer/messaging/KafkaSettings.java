package io.trainwatch.trainer.messaging;

import io.smallrye.common.annotation.Identifier;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * The one place this host's hand-made Kafka clients (run-event publisher, control consumer, job queue producer, job
 * taker, job partitions admin) take their settings from: every {@code kafka.*} property of the Quarkus config with
 * the prefix stripped ({@code kafka.security.protocol}, {@code kafka.sasl.*}, {@code kafka.ssl.*}, or the env vars
 * {@code KAFKA_SECURITY_PROTOCOL}, …). It is the map Quarkus hands to Kafka channels ({@code default-kafka-broker}),
 * so trainer-host and metrics-api read the same keys the same way.
 *
 * <p>A client builds its config in three layers: its defaults (tuning that {@code kafka.*} may change), then these
 * settings, then its fixed settings, which win because the client is only correct with them. Client ids are
 * fixed everywhere: each names its client's role (and host), and two clients with one id clash in JMX.
 */
@Singleton
public class KafkaSettings {

    private final Map<String, Object> common;

    @Inject
    public KafkaSettings(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>(kafka);
        // Each consumer's group is fixed by its role; Quarkus's default (the application name) would only be an
        // unused setting for the producers and the admin client.
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        Object servers = c.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (servers == null || servers.toString().isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap.servers: must be set (env KAFKA_BOOTSTRAP_SERVERS)");
        }
        this.common = Map.copyOf(c);
    }

    /** Only the bootstrap servers: a plaintext cluster (tests, benchmarks). */
    public static KafkaSettings bootstrap(String servers) {
        return new KafkaSettings(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers));
    }

    public String bootstrapServers() {
        return common.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG).toString();
    }

    /** Where and how this host connects, for the log; never the credentials. */
    public String describe() {
        return bootstrapServers() + " (" + common.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL) + ")";
    }

    /**
     * A client's config: {@code defaults}, overridden by the {@code kafka.*} settings, overridden by {@code fixed}.
     */
    public Map<String, Object> client(Map<String, Object> defaults, Map<String, Object> fixed) {
        Map<String, Object> c = new HashMap<>(defaults);
        c.putAll(common);
        c.putAll(fixed);
        return c;
    }
}
