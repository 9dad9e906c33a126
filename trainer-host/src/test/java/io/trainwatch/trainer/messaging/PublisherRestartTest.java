package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.TopicReader.Received;
import io.trainwatch.testsupport.TopicReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Events still in the spool when a publisher stops (Kafka unreachable) are sent, in order and once each, by the next
 * publisher over the same spool directory. Real Kafka from the shared local stack; no Quarkus.
 */
class PublisherRestartTest {

    @TempDir
    Path spoolDir;

    private static DurablePublisher publisher(Path dir, String bootstrap) {
        return new DurablePublisher(new EventSpool(dir, 64L << 20, 1 << 16),
                SpoolSender.kafkaProducers(SpoolSender.producerConfig(KafkaSettings.bootstrap(bootstrap), "restart-test-" + UUID.randomUUID(),
                        Duration.ofSeconds(1), Duration.ofSeconds(10))),
                "/trainwatch/test", 10_000, Duration.ofMillis(100));
    }

    @Test
    void spooledEventsSurviveAPublisherRestartAndArriveInOrderOnce() {
        String bootstrap = LocalStackTestResource.stack().kafkaBootstrapServers();
        String runId = "run-restart-" + UUID.randomUUID();
        int epochs = 400;

        DurablePublisher first = publisher(spoolDir, "127.0.0.1:" + UnreachableKafka.port());
        long begin = System.nanoTime();
        first.publish(RunStarted.of(runId));
        for (int e = 0; e < epochs; e++) {
            first.publish(EpochCompleted.builder(runId, e).optTrainLoss(1.0 / (e + 1)).optTotalEpochs(epochs).build());
        }
        long publishMillis = (System.nanoTime() - begin) / 1_000_000;
        assertTrue(publishMillis < 1_000, "publishing with Kafka unreachable must not block; took " + publishMillis + " ms");
        await().atMost(Duration.ofSeconds(10)).until(() -> first.spool().pendingEvents() == epochs + 1);
        first.close(Duration.ZERO);
        assertEquals(0, first.sent());
        assertEquals(0, first.dropped());

        // The backlog as a new process finds it. Asked of the new publisher instead, the answer raced its sender,
        // which may already have delivered everything to the reachable broker.
        try (EventSpool reopened = new EventSpool(spoolDir, 64L << 20, 1 << 16)) {
            assertEquals(epochs + 1, reopened.pendingEvents(), "the spool was reopened with its backlog");
        }
        DurablePublisher second = publisher(spoolDir, bootstrap);
        try (TopicReader reader = RunEventRecords.reader(bootstrap, runId)) {
            List<Received> got = reader.untilCount(epochs + 1, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(10)).until(() -> second.spool().pendingEvents() == 0);
            // kafkaHealthy is set just after the cursor moves: awaited, not asserted at once
            await().atMost(Duration.ofSeconds(10)).until(() -> !second.backedUp());
            assertEquals(epochs + 1, got.size(), "every event, none twice");
            assertEquals(epochs + 1, new HashSet<>(got.stream().map(RunEventRecords::ceId).toList()).size());
            assertTrue(RunEventRecords.event(got.get(0)) instanceof RunStarted);
            for (int e = 0; e < epochs; e++) {
                assertEquals(e, ((EpochCompleted) RunEventRecords.event(got.get(e + 1))).epoch(), "in order");
            }
            assertEquals(1, got.stream().map(Received::partition).distinct().count());
            assertEquals("/trainwatch/test", got.get(0).headers().get("ce_source"));
        } finally {
            second.close(Duration.ofSeconds(1));
        }
    }
}
