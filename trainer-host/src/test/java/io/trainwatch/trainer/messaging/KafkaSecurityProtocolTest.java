package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.RunStarted;
import io.trainwatch.stack.LocalStackTestResource;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kafka.security.protocol} really reaches the clients: against the test broker, which speaks plaintext only,
 * a client told to use SASL_SSL is refused when it is built (no credentials: the host does not start) or cannot
 * connect (credentials given: its events wait in the spool). Real Kafka from the shared local stack; no Quarkus.
 */
class KafkaSecurityProtocolTest {

    @TempDir
    Path spoolDir;

    @Test
    void saslSslWithoutCredentialsIsRefusedWhenTheControlTopicConsumerIsBuilt() {
        KafkaSettings kafka = new KafkaSettings(Map.of("bootstrap.servers", LocalStackTestResource.stack().kafkaBootstrapServers(),
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"));
        KafkaException e = assertThrows(KafkaException.class,
                () -> new ControlTopicConsumer(kafka, "test-sasl-" + UUID.randomUUID(), cancel -> { }).close());
        assertTrue(causes(e).contains("Could not find a 'KafkaClient' entry in the JAAS configuration"),
                "the error says what is missing: " + causes(e));
    }

    @Test
    void saslSslAgainstAPlaintextBrokerDeliversNothing() {
        KafkaSettings kafka = new KafkaSettings(Map.of("bootstrap.servers", LocalStackTestResource.stack().kafkaBootstrapServers(),
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"t\" password=\"p\";"));
        DurablePublisher publisher = new DurablePublisher(new EventSpool(spoolDir, 1 << 20, 1 << 16),
                SpoolSender.kafkaProducers(SpoolSender.producerConfig(kafka, "sasl-test-" + UUID.randomUUID(),
                        Duration.ofMillis(500), Duration.ofSeconds(5))),
                "/test", 1_000, Duration.ofMillis(100));
        try {
            publisher.publish(RunStarted.of("run-sasl-" + UUID.randomUUID()));
            await().atMost(Duration.ofSeconds(15)).until(() -> publisher.sendFailures() >= 1);
            assertEquals(0, publisher.sent());
            assertEquals(1, publisher.spool().pendingEvents(), "the event waits in the spool");
            assertFalse(publisher.kafkaHealthy());
        } finally {
            publisher.close(Duration.ZERO);
        }
    }

    private static String causes(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t).append(" / ");
        }
        return s.toString();
    }
}
