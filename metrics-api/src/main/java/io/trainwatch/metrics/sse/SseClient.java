package io.trainwatch.metrics.sse;

import io.smallrye.mutiny.subscription.MultiEmitter;

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
    private final MultiEmitter<? super T> emitter;
    private final Function<FeedEvent, T> render;
    private final int pendingLimit;
    private List<FeedEvent> pending = new ArrayList<>();
    private long lastSent;

    SseClient(String runId, String project, MultiEmitter<? super T> emitter, Function<FeedEvent, T> render,
              int pendingLimit, long after) {
        this.runId = runId;
        this.project = project;
        this.emitter = emitter;
        this.render = render;
        this.pendingLimit = pendingLimit;
        this.lastSent = after;
    }

    boolean wants(FeedEvent e) {
        return (runId == null || runId.equals(e.runId())) && (project == null || project.equals(e.project()));
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
    }

    void fail(String why) {
        emitter.fail(new IllegalStateException(why));
    }

    boolean cancelled() {
        return emitter.isCancelled();
    }
}
