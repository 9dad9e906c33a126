package io.trainwatch.trainer.training;

import io.trainwatch.contracts.TrainwatchEvent;

/**
 * Where a training run puts its events. Implementations must return at once: this is called on the training thread,
 * between optimizer steps.
 */
@FunctionalInterface
public interface RunEventSink {

    void publish(TrainwatchEvent event);

    /**
     * The run trained or validated a batch (training thread, every batch: must cost next to nothing). Heartbeats are
     * sent only for a run that progressed since the last one, so a hung training thread still turns stalled.
     */
    default void progressed(String runId) {
    }
}
