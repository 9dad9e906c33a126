package io.trainwatch.trainer.messaging;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kafka.* setting reaches the hand-made clients; the settings their correctness rests on stay as they are. */
class KafkaSettingsTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"trainer\" password=\"secret\";";

    /** What Quarkus's default-kafka-broker map holds for kafka.* (or KAFKA_*) settings of an external cluster. */
    private static final Map<String, Object> SASL_TLS = Map.of(
            "bootstrap.servers", "kafka-1.example:9093",
            "security.protocol", "SASL_SSL",
            "sasl.mechanism", "SCRAM-SHA-512",
            "sasl.jaas.config", JAAS,
            "ssl.truststore.location", "/etc/trainwatch/kafka-truststore.p12",
            "ssl.truststore.password", "changeit",
            "group.id", "trainwatch-trainer-host");

    @Test
    void saslAndTlsSettingsReachTheRunEventProducer() {
        Map<String, Object> c = SpoolSender.producerConfig(new KafkaSettings(SASL_TLS), "p", Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertEquals("kafka-1.example:9093", c.get("bootstrap.servers"));
        assertEquals("SASL_SSL", c.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", c.get("sasl.mechanism"));
        assertEquals(JAAS, c.get("sasl.jaas.config"));
        assertEquals("/etc/trainwatch/kafka-truststore.p12", c.get("ssl.truststore.location"));
        assertEquals("changeit", c.get("ssl.truststore.password"));
        // Quarkus's application-name group is no setting of a producer; each consumer fixes its own group.
        assertFalse(c.containsKey("group.id"));
    }

    @Test
    void fixedSettingsWinOverKafkaSettings() {
        Map<String, Object> kafka = Map.of("bootstrap.servers", "k:9092", "acks", "1", "enable.idempotence", "false",
                "max.in.flight.requests.per.connection", "50", "key.serializer", "x.Nope", "value.serializer", "x.Nope",
                "delivery.timeout.ms", "999999", "client.id", "shared");
        Map<String, Object> c = SpoolSender.producerConfig(new KafkaSettings(kafka), "trainwatch-trainer-h1",
                Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertEquals("all", c.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(true, c.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals(5, c.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        assertEquals(StringSerializer.class.getName(), c.get(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG));
        assertEquals(ByteArraySerializer.class.getName(), c.get(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG));
        assertEquals(30_000, c.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals(2_000, c.get(ProducerConfig.MAX_BLOCK_MS_CONFIG));
        assertEquals("trainwatch-trainer-h1", c.get(ProducerConfig.CLIENT_ID_CONFIG));
    }

    @Test
    void kafkaSettingsOverrideAClientsDefaults() {
        Map<String, Object> c = new KafkaSettings(Map.of("bootstrap.servers", "k:9092", "reconnect.backoff.max.ms", "200"))
                .client(Map.of("reconnect.backoff.max.ms", 5000, "linger.ms", 5), Map.of("acks", "all"));
        assertEquals("200", c.get("reconnect.backoff.max.ms"));
        assertEquals(5, c.get("linger.ms"));
        assertEquals("all", c.get("acks"));
    }

    @Test
    void missingBootstrapServersIsAnErrorNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KafkaSettings(Map.of("security.protocol", "SASL_SSL")));
        assertTrue(e.getMessage().startsWith("kafka.bootstrap.servers:"), e.getMessage());
    }

    @Test
    void theLogLineShowsTheProtocolButNeverTheCredentials() {
        String shown = new KafkaSettings(SASL_TLS).describe();
        assertEquals("kafka-1.example:9093 (SASL_SSL)", shown);
        assertEquals("k:9092 (PLAINTEXT)", KafkaSettings.bootstrap("k:9092").describe());
    }
}
