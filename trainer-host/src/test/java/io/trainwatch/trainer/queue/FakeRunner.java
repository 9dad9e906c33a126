package io.trainwatch.trainer.queue;

import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.training.JobRunner;
import io.trainwatch.trainer.training.JobStatus;
import io.trainwatch.trainer.training.JobView;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A host with one slot that "trains" each job by holding it for a fixed time; records what it started and ended. */
final class FakeRunner implements JobRunner, AutoCloseable {

    private final Duration jobTakes;
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    private final List<String> started = new CopyOnWriteArrayList<>();
    private final List<String> ended = new CopyOnWriteArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();

    FakeRunner(Duration jobTakes) {
        this.jobTakes = jobTakes;
    }

    @Override
    public int freeSlots() {
        return 1 - running.get();
    }

    @Override
    public JobView submit(JobSpec spec, String runId, Consumer<JobView> onEnd) {
        started.add(runId);
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        JobView view = view(spec, runId, JobStatus.RUNNING);
        clock.schedule(() -> {
            running.decrementAndGet();
            ended.add(runId);
            onEnd.accept(view(spec, runId, JobStatus.COMPLETED));
        }, jobTakes.toMillis(), TimeUnit.MILLISECONDS);
        return view;
    }

    @Override
    public JobView submitCancelled(JobSpec spec, String runId, String reason, String requestedBy, Consumer<JobView> onEnd) {
        ended.add(runId);
        JobView view = view(spec, runId, JobStatus.CANCELLED);
        onEnd.accept(view);
        return view;
    }

    @Override
    public Optional<JobView> cancel(String runId, String reason, String requestedBy) {
        return Optional.empty();
    }

    List<String> started() {
        return List.copyOf(started);
    }

    List<String> ended() {
        return List.copyOf(ended);
    }

    int mostAtOnce() {
        return mostAtOnce.get();
    }

    private static JobView view(JobSpec spec, String runId, JobStatus status) {
        return new JobView(runId, spec.name(), spec.project(), spec.preset(), status, null, 0, spec.epochs(), 0, "cpu", null, null,
                Instant.now(), Instant.now(), null, spec);
    }

    @Override
    public void close() {
        clock.shutdownNow();
    }
}
