package io.trainwatch.metrics.ingest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.store.StoredBatch;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Runs the after-store steps (analysis) of stored batches one at a time, in commit order, beside the ingest: while
 * batch N is analysed, batch N+1 is decoded and stored, so the two cores are both at work. Batches that queued up
 * while the steps were busy are taken together, as one {@link StoredBatch#then merged} batch: the per-run work (a
 * verdict, its save, its insight event) is then done once for all of them, so the lane catches up instead of falling
 * further behind under load, and costs nothing extra when it keeps up (then every batch runs alone). The lane is
 * bounded: when more than {@link #MAX_PENDING} batches wait, the ingest waits for its own batch's steps
 * (backpressure). The rows are committed before the lane sees them; analysis after a crash is caught up by the next
 * batch of the run (its cached analyzer is missing, so it replays the stored history).
 */
@ApplicationScoped
public class AfterStoreLane {

    static final int MAX_PENDING = 4;
    private static final Logger LOG = Logger.getLogger(AfterStoreLane.class);

    private record Work(StoredBatch batch, Function<StoredBatch, Uni<Void>> steps, CompletableFuture<Void> done) {
    }

    private final Deque<Work> queue = new ArrayDeque<>();
    private boolean running;

    /** Queues the batch; the returned Uni completes at once, or when its steps ran if the lane is full. */
    public Uni<Void> submit(StoredBatch batch, Function<StoredBatch, Uni<Void>> steps) {
        Work work = new Work(batch, steps, new CompletableFuture<>());
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
        List<Work> taken = new ArrayList<>();
        synchronized (this) {
            for (Work w = queue.poll(); w != null; w = queue.poll()) {
                taken.add(w);
            }
            if (taken.isEmpty()) {
                running = false;
                return;
            }
        }
        StoredBatch merged = taken.get(0).batch();
        for (int i = 1; i < taken.size(); i++) {
            merged = merged.then(taken.get(i).batch());
        }
        Uni<Void> uni;
        try {
            uni = taken.get(taken.size() - 1).steps().apply(merged);
        } catch (RuntimeException e) {
            uni = Uni.createFrom().failure(e);
        }
        uni.subscribe().with(ok -> {
            taken.forEach(w -> w.done().complete(null));
            next();
        }, failure -> {
            LOG.errorf(failure, "after-store work failed: %s", failure.toString());
            taken.forEach(w -> w.done().complete(null));
            next();
        });
    }
}
