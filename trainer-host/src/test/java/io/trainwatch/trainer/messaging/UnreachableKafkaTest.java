package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.RunStarted;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While Kafka cannot be reached the sender keeps its one producer: a send refused for want of metadata put nothing in
 * the producer, and a new producer would start probing the dead address again at once (trainer CPU, for as long as
 * the outage lasts) instead of keeping its grown connection back-off.
 */
class UnreachableKafkaTest {

    @TempDir
    Path dir;

    @Test
    void refusedSendsKeepTheProducer() {
        String dead = UnreachableKafka.address();
        Supplier<Producer<String, byte[]>> kafka = SpoolSender.kafkaProducers(
                SpoolSender.producerConfig(KafkaSettings.bootstrap(dead), "unreachable-test", Duration.ofMillis(300), Duration.ofSeconds(5)));
        AtomicInteger producersMade = new AtomicInteger();
        DurablePublisher publisher = new DurablePublisher(new EventSpool(dir, 1 << 20, 1 << 16), () -> {
            producersMade.incrementAndGet();
            return kafka.get();
        }, "/test", 1_000, Duration.ofMillis(100));
        try {
            publisher.publish(RunStarted.of("run-unreachable"));
            // Each refused cycle: 300 ms waiting for metadata, then a back-off of 200, 400, 800 ms.
            await().atMost(Duration.ofSeconds(15)).until(() -> publisher.sendFailures() >= 3);
            assertEquals(1, producersMade.get(), "producers created across " + publisher.sendFailures() + " refused cycles");
            assertEquals(1, publisher.spool().pendingEvents(), "the event waits in the spool");
            assertFalse(publisher.kafkaHealthy());
            assertTrue(publisher.backedUp(), "heartbeats are skipped while Kafka is away");
        } finally {
            publisher.close(Duration.ZERO);
        }
    }
}
