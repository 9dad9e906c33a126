package io.trainwatch.metrics.ingest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.store.StoredBatch;
import io.trainwatch.metrics.store.StoredBatchListener;
import org.junit.jupiter.api.Test;

import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AfterStoreStepTest {

    private static final StoredBatch BATCH = new StoredBatch(0, Map.of(), Map.of(), Set.of(), Set.of("r1"));

    @Test
    void aStepThatMeetsTheDatabaseAwayIsTriedAgainUntilItIsBack() {
        // ProcessFaultsIT's PostgreSQL stop: the analysis of a committed batch failed on a closed connection and was
        // dropped, so a run whose last batch it was kept a verdict behind its stored epochs.
        AtomicInteger calls = new AtomicInteger();
        StoredBatchListener analysis = batch -> calls.incrementAndGet() <= 3
                ? Uni.createFrom().failure(new SocketException("Connection reset"))
                : Uni.createFrom().voidItem();
        RunEventIngest.afterStoreStep(analysis, BATCH, Duration.ofMillis(5)).await().atMost(Duration.ofSeconds(10));
        assertEquals(4, calls.get(), "three failures while away, then done");
    }

    @Test
    void aStepThatFailsForAnyOtherReasonIsSkippedOnce() {
        AtomicInteger calls = new AtomicInteger();
        StoredBatchListener broken = batch -> {
            calls.incrementAndGet();
            return Uni.createFrom().failure(new IllegalStateException("a bug, not an outage"));
        };
        RunEventIngest.afterStoreStep(broken, BATCH, Duration.ofMillis(5)).await().atMost(Duration.ofSeconds(10));
        assertEquals(1, calls.get());
    }
}
