package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.publish.TopicPublisher;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpIngestSendTimeoutTest {

    @Test
    void eventsKafkaNeverAcknowledgesEndTheRequestWithinTheBound() {
        // ProcessFaultsIT, Kafka away 60 s: requests got no answer for 20 s (their sends queued behind others').
        HttpIngest ingest = new HttpIngest();
        ingest.publisher = new TopicPublisher() {
            @Override
            public Uni<String> publish(TrainwatchEvent event, String eventId) {
                return Uni.createFrom().nothing();
            }
        };
        ingest.sendTimeout = Duration.ofMillis(300);
        long began = System.nanoTime();
        Throwable failure = assertThrows(Throwable.class, () -> ingest.accept("r1",
                List.of(new PostedEvent<>(EpochCompleted.builder("r1", 0).optTrainLoss(1.0).build(), "e0")), null)
                .await().atMost(Duration.ofSeconds(10)));
        long ms = (System.nanoTime() - began) / 1_000_000;
        Throwable cause = failure instanceof TimeoutException ? failure : failure.getCause();
        assertInstanceOf(TimeoutException.class, cause, failure.toString());
        assertTrue(ms < 5_000, "answered after " + ms + " ms");
        // TimeoutException is a 503 with Retry-After: ProblemMapperTest.
    }
}
