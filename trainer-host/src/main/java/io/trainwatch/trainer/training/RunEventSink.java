package io.trainwatch.trainer.training;

import io.trainwatch.contracts.TrainwatchEvent;

/**
 * Where a training run puts its events. Implementations must return at once: this is called on the training thread,
 * between optimizer steps.
 */
@FunctionalInterface
public interface RunEventSink {

    void publish(TrainwatchEvent event);
}
