package io.trainwatch.metrics.sse;

import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One SSE connection: which events it wants, and its own bounded buffer (the Multi emitter's). While its
 * Last-Event-ID replay is read from the database, live events wait in {@code pending}; afterwards every event is
 * sent once, in position order ({@code lastSent} drops what the replay already covered).
 */
final class SseClient<T> {

    final String runId;
    final String project;
    /** The event types the client asked for ({@code types=}); null for all. */
    final java.util.Set<String> types;
    /** The client's connection's event loop; null: offered on the caller's thread. */
    private final Context context;
    private final MultiEmitter<? super T> emitter;
    private final Function<FeedEvent, T> render;
    private final int pendingLimit;
    private List<FeedEvent> pending = new ArrayList<>();
    private long lastSent;

    SseClient(String runId, String project, java.util.Set<String> types, MultiEmitter<? super T> emitter,
              Function<FeedEvent, T> render, int pendingLimit, long after, Context context) {
        this.types = types;
        this.context = context;
        this.runId = runId;
        this.project = project;
        this.emitter = emitter;
        this.render = render;
        this.pendingLimit = pendingLimit;
        this.lastSent = after;
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
        if (context == null) {
            offerAll(events);
        } else {
            context.runOnContext(ignored -> offerAll(events));
        }
    }

    private synchronized void offerAll(List<FeedEvent> events) {
        for (FeedEvent e : events) {
            offer(e);
            if (emitter.isCancelled()) {
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
            if (pending.size() >= pendingLimit) {
                fail("client fell behind during replay");
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
    synchronized void sendInitial(T item) {
        if (!emitter.isCancelled()) {
            emitter.emit(item);
        }
    }

    private void send(FeedEvent e) {
        if (e.position() <= lastSent || emitter.isCancelled()) {
            return;
        }
        lastSent = e.position();
        // The emitter's buffer is bounded: when this client cannot keep up, emit fails the stream (BackPressureFailure)
        // and the connection closes; the client resumes with its Last-Event-ID. Nobody else waits for it.
        emitter.emit(render.apply(e));
        if (e.runEnded() && runId != null) {
            emitter.complete();
        }
    }

    void fail(String why) {
        emitter.fail(new IllegalStateException(why));
    }

    boolean cancelled() {
        return emitter.isCancelled();
    }
}
