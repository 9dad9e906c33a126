package io.trainwatch.trainer.training;

import io.trainwatch.trainer.spec.JobSpec;

import java.util.Optional;
import java.util.function.Consumer;

/** What the job queue's taker needs of a host's training: its free slots, and starting and cancelling a job. */
public interface JobRunner {

    /** Jobs this host could start now without waiting. */
    int freeSlots();

    /** Starts (or queues on this host) the job under the given run id; {@code onEnd} runs once it has ended. */
    JobView submit(JobSpec spec, String runId, Consumer<JobView> onEnd);

    /**
     * Records the job as cancelled before it started (a cancel came while it waited in the queue): it publishes its
     * {@code run.started} and {@code run.finished} {@code cancelled} and never trains; {@code onEnd} runs at once.
     */
    JobView submitCancelled(JobSpec spec, String runId, String reason, String requestedBy, Consumer<JobView> onEnd);

    /** @return the job after the request, empty if this host does not know the run */
    Optional<JobView> cancel(String runId, String reason, String requestedBy);
}
