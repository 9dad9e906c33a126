package io.trainwatch.metrics.live;

import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One SSE connection: which events it wants, and its own bounded buffer (the Multi emitter's). While its
 * Last-Event-ID replay is read from the database, live events wait in {@code pending}; afterwards every event is
 * sent once, in position order ({@code lastSent} drops what the replay already covered).
 *
 * <p>It counts what waits in its buffer (events handed to the emitter and not yet taken by the writer): a client
 * whose buffer is full is dropped at once, with the reason, instead of handing the emitter an event it cannot hold
 * (the emitter would then stop silently, keep its full buffer and keep the connection open until the client reads).
 */
final class SseClient {

    final long id;
    final String runId;
    final String project;
    /** The event types the client asked for ({@code types=}); null for all. */
    final java.util.Set<String> types;
    /** The client's connection; null: offered on the caller's thread, dropped by failing its stream. */
    private final SseConnection connection;
    private final MultiEmitter<? super FeedEvent> emitter;
    private final int bufferLimit;
    private final Consumer<SseClient> onDrop;
    private List<FeedEvent> pending = new ArrayList<>();
    private long lastSent;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile String dropReason;

    SseClient(long id, String runId, String project, java.util.Set<String> types, MultiEmitter<? super FeedEvent> emitter,
              int bufferLimit, long after, SseConnection connection, Consumer<SseClient> onDrop) {
        this.id = id;
        this.types = types;
        this.connection = connection;
        this.runId = runId;
        this.project = project;
        this.emitter = emitter;
        this.bufferLimit = bufferLimit;
        this.lastSent = after;
        this.onDrop = onDrop;
    }

    /** The events of {@code events} this client wants (the same list when it wants them all). */
    List<FeedEvent> select(List<FeedEvent> events) {
        if (runId == null && project == null && types == null) {
            return events;
        }
        List<FeedEvent> out = null;
        for (FeedEvent e : events) {
            if (wants(e)) {
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(e);
            }
        }
        return out == null ? List.of() : out;
    }

    /** Live events from the feed, offered on this client's event loop (in order: tasks on a context run in order). */
    void deliver(List<FeedEvent> events) {
        Context context = connection == null ? null : connection.context();
        if (context == null) {
            offerAll(events);
        } else {
            context.runOnContext(ignored -> offerAll(events));
        }
    }

    private synchronized void offerAll(List<FeedEvent> events) {
        for (FeedEvent e : events) {
            offer(e);
            if (gone()) {
                return;
            }
        }
    }

    boolean wants(FeedEvent e) {
        if (e.runEnded() && runId != null && runId.equals(e.runId())) {
            // The run's stream ends with its deletion, whatever types the client asked for.
            return true;
        }
        return (runId == null || runId.equals(e.runId())) && (project == null || project.equals(e.project()))
                && (types == null || types.contains(e.type()));
    }

    /** Live event from the feed. */
    synchronized void offer(FeedEvent e) {
        if (pending != null) {
            if (pending.size() >= bufferLimit) {
                drop("fell behind during replay: " + pending.size() + " live events waited");
                return;
            }
            pending.add(e);
            return;
        }
        send(e);
    }

    /** Replay read from the database; then the live events that waited, without duplicates. */
    synchronized void replayed(List<FeedEvent> replay) {
        for (FeedEvent e : replay) {
            send(e);
        }
        List<FeedEvent> waiting = pending;
        pending = null;
        if (waiting != null) {
            for (FeedEvent e : waiting) {
                send(e);
            }
        }
    }

    /** A first event that is not a stored change (the run's current status on a fresh connection). */
    synchronized void sendInitial(FeedEvent item) {
        if (!gone()) {
            enqueue(item);
        }
    }

    private void send(FeedEvent e) {
        if (e.position() <= lastSent || gone()) {
            return;
        }
        lastSent = e.position();
        enqueue(e);
        if (e.runEnded() && runId != null) {
            // A deleted run's stream ends after its last event (sent first: completion waits for the buffer).
            emitter.complete();
        }
    }

    private void enqueue(FeedEvent e) {
        if (queued.get() >= bufferLimit) {
            // Resumable: the client reconnects with the Last-Event-ID of what it read. Nobody else waits for it.
            drop("fell behind: its buffer of " + bufferLimit + " events (" + queuedBytes.get() + " bytes) is full");
            return;
        }
        queued.incrementAndGet();
        queuedBytes.addAndGet(e.data().length());
        emitter.emit(e);
    }

    /** The writer took an event out of the buffer. */
    void taken(FeedEvent e) {
        queued.decrementAndGet();
        queuedBytes.addAndGet(-e.data().length());
    }

    /** Events waiting in this client's buffer. */
    int queued() {
        return queued.get();
    }

    /** The JSON bytes of the events waiting in this client's buffer (their data, as written; ids and names aside). */
    long queuedBytes() {
        return queuedBytes.get();
    }

    /** Ends the client's stream now: its connection is cut (or, without one, its stream failed), once, with the reason. */
    void drop(String why) {
        if (dropReason != null) {
            return;
        }
        dropReason = why;
        onDrop.accept(this);
        if (connection != null) {
            connection.cut().run();
        }
        emitter.fail(new IllegalStateException(why));
    }

    /** Why it was dropped; null while it is not. */
    String dropReason() {
        return dropReason;
    }

    void fail(String why) {
        emitter.fail(new IllegalStateException(why));
    }

    private boolean gone() {
        return dropReason != null || emitter.isCancelled();
    }
}
