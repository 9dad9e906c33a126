package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.EpochCompleted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full spool never blocks publish(): the overflow is counted as dropped and the publisher reports itself full. */
class FullSpoolTest {

    @TempDir
    Path dir;

    @Test
    void overflowIsDroppedCountedAndReportedWithoutBlocking() {
        String dead = UnreachableKafka.address();
        DurablePublisher publisher = new DurablePublisher(new EventSpool(dir, 4_096, 1 << 16),
                SpoolSender.kafkaProducers(SpoolSender.producerConfig(KafkaSettings.bootstrap(dead), "full-test", Duration.ofSeconds(1), Duration.ofSeconds(5))),
                "/test", 1_000, Duration.ofMillis(100));
        try {
            long begin = System.nanoTime();
            for (int e = 0; e < 500; e++) {
                publisher.publish(EpochCompleted.builder("run-full", e).optTrainLoss(0.5).build());
            }
            long millis = (System.nanoTime() - begin) / 1_000_000;
            assertTrue(millis < 1_000, "publish() must not block on a full spool; 500 took " + millis + " ms");
            await().atMost(Duration.ofSeconds(10)).until(() -> publisher.dropped() + publisher.spool().pendingEvents() == 500);
            assertTrue(publisher.dropped() > 400, "dropped " + publisher.dropped());
            assertTrue(publisher.spoolFull());
            assertTrue(publisher.backedUp(), "heartbeats are skipped while the spool is full");
            assertTrue(publisher.spool().pendingBytes() <= 4_096);
        } finally {
            publisher.close(Duration.ZERO);
        }
    }
}
