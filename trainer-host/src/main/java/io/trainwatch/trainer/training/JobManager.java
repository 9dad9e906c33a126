package io.trainwatch.trainer.training;

import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.datasets.Datasets;
import io.trainwatch.trainer.datasets.TrainValData;
import io.trainwatch.trainer.spec.InvalidSpecException;
import io.trainwatch.trainer.spec.JobSpec;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Accepts jobs and trains them on a bounded pool of its own threads ({@code maxConcurrent} at once, up to
 * {@code maxQueued} waiting). Keeps every job's state for the REST API, the last {@code retained} finished ones.
 * Plain Java; the Quarkus wiring lives in {@code JobManagerProducer}.
 */
public final class JobManager implements JobRunner, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobManager.class);

    /** Too many jobs waiting already; maps to 429/503. */
    public static final class QueueFullException extends RuntimeException {
        public QueueFullException(String message) {
            super(message);
        }
    }

    private final class Job {
        final String runId;
        final JobSpec spec;
        final CancelSignal cancel = new CancelSignal();
        final Instant submittedAt = Instant.now();
        volatile TrainValData data;
        volatile JobStatus status = JobStatus.QUEUED;
        volatile Integer epoch;
        volatile int epochsCompleted;
        volatile String device;
        volatile String reason;
        volatile String requestedBy;
        volatile Instant startedAt;
        volatile Instant finishedAt;
        final Consumer<JobView> onEnd;

        Job(String runId, JobSpec spec, TrainValData data, Consumer<JobView> onEnd) {
            this.runId = runId;
            this.spec = spec;
            this.data = data;
            this.onEnd = onEnd;
        }

        JobView view() {
            return new JobView(runId, spec.name(), spec.project(), spec.preset(), status, epoch, epochsCompleted,
                    spec.epochs(), spec.epochs() == 0 ? 0 : Math.min(1.0, epochsCompleted / (double) spec.epochs()),
                    device, reason, requestedBy, submittedAt, startedAt, finishedAt, spec);
        }
    }

    private final RunEventSink sink;
    private final int stepSampleEvery;
    private final String host;
    private final int retained;
    private final int maxQueued;
    private final int maxConcurrent;
    private final ThreadPoolExecutor executor;
    private final Map<String, Job> jobs = new LinkedHashMap<>();

    public JobManager(RunEventSink sink, int maxConcurrent, int maxQueued, int stepSampleEvery, String host, int retained) {
        this.sink = sink;
        this.stepSampleEvery = stepSampleEvery;
        this.host = host;
        this.retained = retained;
        this.maxQueued = maxQueued;
        this.maxConcurrent = maxConcurrent;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(maxConcurrent, maxConcurrent, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(maxQueued), r -> {
                    Thread t = new Thread(r, "trainwatch-training-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Loads the data (so a bad file fails here, not in epoch 3) and queues the job.
     *
     * @throws InvalidSpecException when the requested device is not there
     * @throws io.trainwatch.trainer.datasets.DatasetException when the data cannot be made or read
     * @throws QueueFullException when {@code maxQueued} jobs already wait
     */
    public JobView submit(JobSpec spec) {
        return submit(spec, "run-" + UUID.randomUUID(), view -> { });
    }

    /**
     * As {@link #submit(JobSpec)}, under a run id chosen by the caller (the job queue assigns it at submit time);
     * {@code onEnd} runs once the job has ended, however it ended, with its final view.
     */
    @Override
    public JobView submit(JobSpec spec, String runId, Consumer<JobView> onEnd) {
        TrainValData data = load(spec);
        Job job = new Job(runId, spec, data, onEnd);
        synchronized (jobs) {
            jobs.put(runId, job);
            evictFinished();
        }
        JobView accepted = job.view(); // as accepted: the job may start the moment it is handed over
        try {
            executor.execute(() -> train(job));
        } catch (RejectedExecutionException e) {
            synchronized (jobs) {
                jobs.remove(runId);
            }
            throw new QueueFullException(maxQueued + " jobs already wait and " + executor.getMaximumPoolSize()
                    + " train at once (trainwatch.jobs.max-queued, trainwatch.jobs.max-concurrent); try again later");
        }
        LOG.infof("job %s (%s) queued: %d epochs of %s on %s", runId, spec.name(), spec.epochs(), spec.model().type(), spec.dataset().type());
        return accepted;
    }

    @Override
    public JobView submitCancelled(JobSpec spec, String runId, String reason, String requestedBy, Consumer<JobView> onEnd) {
        Job job = new Job(runId, spec, load(spec), onEnd); // loaded: its run.started describes the data
        synchronized (jobs) {
            jobs.put(runId, job);
            evictFinished();
        }
        // Never handed to the training pool, so the cancel below ends it as a queued job: nothing is trained.
        cancel(runId, reason, requestedBy);
        return job.view();
    }

    /**
     * What {@link #submit} checks before it accepts a job: the device is there and the data can be made or read.
     *
     * @throws InvalidSpecException when the requested device is not there
     * @throws io.trainwatch.trainer.datasets.DatasetException when the data cannot be made or read
     */
    public static void check(JobSpec spec) {
        load(spec);
    }

    private static TrainValData load(JobSpec spec) {
        try {
            Devices.resolve(spec.device());
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("device", e.getMessage().replaceFirst("^device: ", ""));
        }
        return Datasets.load(spec.dataset());
    }

    private void train(Job job) {
        synchronized (job) {
            if (job.cancel.cancelled()) {
                // Cancelled while queued: cancel() already published its run.started and run.finished.
                return;
            }
            job.status = JobStatus.RUNNING;
            job.startedAt = Instant.now();
        }
        try {
            RunOutcome outcome = trainingRun(job).run();
            finish(job, JobStatus.of(outcome.status()), outcome.reason(), outcome.requestedBy());
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "job %s crashed", job.runId);
            finish(job, JobStatus.FAILED, e.toString(), null);
        } finally {
            job.data = null; // the samples can be large; the view does not need them
        }
    }

    /** The job's run, publishing through a sink that also keeps the job's view up to date. */
    private TrainingRun trainingRun(Job job) {
        RunEventSink observing = new RunEventSink() {
            @Override
            public void publish(TrainwatchEvent event) {
                observe(job, event);
                sink.publish(event);
            }

            @Override
            public void progressed(String runId) {
                sink.progressed(runId);
            }
        };
        return new TrainingRun(job.runId, job.spec, job.data, observing, job.cancel, stepSampleEvery, host);
    }

    private static void observe(Job job, TrainwatchEvent event) {
        if (event instanceof RunStarted s) {
            job.device = s.device();
        } else if (event instanceof EpochCompleted e) {
            job.epoch = e.epoch();
            job.epochsCompleted = e.epoch() + 1;
        } else if (event instanceof RunFinished f) {
            job.epochsCompleted = f.epochsCompleted() == null ? job.epochsCompleted : f.epochsCompleted();
        }
    }

    private void finish(Job job, JobStatus status, String reason, String requestedBy) {
        job.reason = reason;
        job.requestedBy = requestedBy;
        job.finishedAt = Instant.now();
        job.status = status;
        LOG.infof("job %s %s after %d epochs%s", job.runId, status, job.epochsCompleted, reason == null ? "" : ": " + reason);
        try {
            job.onEnd.accept(job.view());
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: its end handler failed", job.runId);
        }
    }

    /** Jobs this host could start now without waiting: {@code maxConcurrent} less those queued or running here. */
    @Override
    public int freeSlots() {
        synchronized (jobs) {
            return maxConcurrent - (int) jobs.values().stream().filter(j -> !j.status.finished()).count();
        }
    }

    private void evictFinished() {
        List<Job> finished = jobs.values().stream().filter(j -> j.status.finished())
                .sorted(Comparator.comparing(j -> j.finishedAt)).toList();
        for (int i = 0; i < finished.size() - retained; i++) {
            jobs.remove(finished.get(i).runId);
        }
    }

    public Optional<JobView> get(String runId) {
        synchronized (jobs) {
            Job j = jobs.get(runId);
            return j == null ? Optional.empty() : Optional.of(j.view());
        }
    }

    /** Newest first. */
    public List<JobView> list() {
        synchronized (jobs) {
            List<JobView> out = new ArrayList<>();
            jobs.values().forEach(j -> out.add(0, j.view()));
            return out;
        }
    }

    public boolean owns(String runId) {
        synchronized (jobs) {
            return jobs.containsKey(runId);
        }
    }

    /**
     * Asks a job to stop at its next batch boundary. A queued one never starts: it ends {@code cancelled} at once
     * and publishes its {@code run.started} and {@code run.finished} (0 epochs) here, so consumers learn of it.
     *
     * @return the job after the request, empty if this host does not know the run
     */
    @Override
    public Optional<JobView> cancel(String runId, String reason, String requestedBy) {
        return cancel(runId, reason, requestedBy, null);
    }

    /** As above, with the id of the {@code run.cancel-requested} that asked, echoed in the run's run.finished. */
    public Optional<JobView> cancel(String runId, String reason, String requestedBy, String cancelId) {
        Job job;
        synchronized (jobs) {
            job = jobs.get(runId);
        }
        if (job == null) {
            return Optional.empty();
        }
        synchronized (job) {
            if (!job.status.finished() && job.cancel.cancel(reason, requestedBy, cancelId)) {
                LOG.infof("job %s: cancel requested by %s: %s", runId, requestedBy, reason);
                if (job.status == JobStatus.QUEUED) {
                    // Under the job's lock, so train() either started it already or sees the cancel and returns.
                    RunOutcome outcome = trainingRun(job).cancelledBeforeStart();
                    finish(job, JobStatus.CANCELLED, outcome.reason(), outcome.requestedBy());
                    job.data = null;
                }
            }
        }
        return Optional.of(job.view());
    }

    public int running() {
        return executor.getActiveCount();
    }

    public int queued() {
        return executor.getQueue().size();
    }

    @Override
    public void close() {
        List<String> runIds;
        synchronized (jobs) {
            runIds = new ArrayList<>(jobs.keySet());
        }
        // Running jobs stop at their next batch; queued ones end now, each with its run.started and run.finished.
        runIds.forEach(runId -> cancel(runId, "the trainer host is shutting down", "trainer-host"));
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    /** For tests: waits until no job is queued or running. */
    public boolean idle() {
        synchronized (jobs) {
            return jobs.values().stream().allMatch(j -> j.status.finished());
        }
    }
}
