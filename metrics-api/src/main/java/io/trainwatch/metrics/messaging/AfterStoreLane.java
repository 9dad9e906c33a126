package io.trainwatch.metrics.messaging;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Runs the after-store work (analysis) of stored batches one at a time, in commit order, beside the ingest: while
 * batch N is analysed, batch N+1 is decoded and stored, so the two cores are both at work. The lane is bounded: when
 * more than {@link #MAX_PENDING} batches wait, the ingest waits for its own batch's analysis (backpressure), so the
 * analysis can never fall behind without limit. The rows are committed before the lane sees them; analysis after a
 * crash is caught up by the next batch of the run (its cached analyzer is missing, so it replays the stored history).
 */
@ApplicationScoped
public class AfterStoreLane {

    static final int MAX_PENDING = 4;
    private static final Logger LOG = Logger.getLogger(AfterStoreLane.class);

    private record Work(Supplier<Uni<Void>> task, CompletableFuture<Void> done) {
    }

    private final Deque<Work> queue = new ArrayDeque<>();
    private boolean running;

    /** Queues the work; the returned Uni completes at once, or when the work ran if the lane is full. */
    public Uni<Void> submit(Supplier<Uni<Void>> task) {
        Work work = new Work(task, new CompletableFuture<>());
        boolean start;
        boolean full;
        synchronized (this) {
            queue.add(work);
            full = queue.size() > MAX_PENDING;
            start = !running;
            running = true;
        }
        if (start) {
            next();
        }
        return full ? Uni.createFrom().completionStage(work.done()) : Uni.createFrom().voidItem();
    }

    private void next() {
        Work work;
        synchronized (this) {
            work = queue.poll();
            if (work == null) {
                running = false;
                return;
            }
        }
        Uni<Void> uni;
        try {
            uni = work.task().get();
        } catch (RuntimeException e) {
            uni = Uni.createFrom().failure(e);
        }
        uni.subscribe().with(ok -> {
            work.done().complete(null);
            next();
        }, failure -> {
            LOG.errorf(failure, "after-store work failed: %s", failure.toString());
            work.done().complete(null);
            next();
        });
    }
}
