package io.trainwatch.metrics.live;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client that stops reading is dropped as soon as its buffer is full: its connection cut, once, with the reason. */
class SseClientTest {

    private static final int BUFFER = 4;

    /** A client over a real Mutiny emitter whose subscriber asks for nothing until told to. */
    private static final class Harness {
        final AtomicInteger cuts = new AtomicInteger();
        final List<SseClient> dropped = new ArrayList<>();
        final List<FeedEvent> written = new ArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        Flow.Subscription subscription;
        SseClient client;

        Harness() {
            AtomicReference<SseClient> ref = new AtomicReference<>();
            Multi.createFrom().<FeedEvent>emitter(emitter -> ref.set(new SseClient(1, null, null, null, emitter, BUFFER, 0,
                            new SseConnection(null, cuts::incrementAndGet), dropped::add)), BUFFER)
                    .onItem().invoke(e -> ref.get().taken(e))
                    .subscribe().withSubscriber(new MultiSubscriber<FeedEvent>() {
                        @Override
                        public void onSubscribe(Flow.Subscription s) {
                            subscription = s;
                        }

                        @Override
                        public void onItem(FeedEvent item) {
                            written.add(item);
                        }

                        @Override
                        public void onFailure(Throwable f) {
                            failure.set(f);
                        }

                        @Override
                        public void onCompletion() {
                        }
                    });
            client = ref.get();
            client.replayed(List.of());
        }
    }

    private static FeedEvent event(long position) {
        return new FeedEvent(position, "r", "p", "epoch", "{\"epoch\":" + position + "}");
    }

    @Test
    void aClientThatNeverReadsIsDroppedWhenItsBufferIsFullAndHoldsNoMore() {
        Harness h = new Harness();
        for (int i = 1; i <= BUFFER; i++) {
            h.client.offer(event(i));
        }
        assertEquals(BUFFER, h.client.queued());
        assertEquals(4 * "{\"epoch\":1}".length(), h.client.queuedBytes());
        assertNull(h.client.dropReason(), "a full buffer alone is not a drop");

        h.client.offer(event(BUFFER + 1));
        assertEquals(1, h.cuts.get(), "the connection is cut at once, not after the buffer drains");
        assertEquals(List.of(h.client), h.dropped);
        assertTrue(h.client.dropReason().contains("buffer of 4 events"), h.client.dropReason());
        assertEquals(BUFFER, h.client.queued(), "the event that did not fit was not buffered");

        h.client.offer(event(BUFFER + 2));
        assertEquals(1, h.cuts.get(), "dropped once");
        assertEquals(1, h.dropped.size());
    }

    @Test
    void aClientThatReadsIsNeverDroppedAndItsCountFollowsTheWriter() {
        Harness h = new Harness();
        for (int i = 1; i <= 100; i++) {
            h.client.offer(event(i));
            h.subscription.request(1);
            assertEquals(0, h.client.queued());
        }
        assertEquals(100, h.written.size());
        assertEquals(0, h.client.queuedBytes());
        assertEquals(0, h.cuts.get());
        assertNull(h.failure.get());
        assertNotNull(h.written.get(99));
    }
}
