package io.trainwatch.trainer.training;

import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.TrainwatchEvent;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Keeps every event a run emits, in order, for assertions. */
public final class RecordingSink implements RunEventSink {

    public final List<TrainwatchEvent> events = new CopyOnWriteArrayList<>();
    /** Batches reported through {@link #progressed} (what heartbeats wait for). */
    public final AtomicInteger progressed = new AtomicInteger();

    @Override
    public void publish(TrainwatchEvent event) {
        events.add(event);
    }

    @Override
    public void progressed(String runId) {
        progressed.incrementAndGet();
    }

    public List<EpochCompleted> epochs() {
        return events.stream().filter(EpochCompleted.class::isInstance).map(EpochCompleted.class::cast).toList();
    }

    public List<StepSampled> steps() {
        return events.stream().filter(StepSampled.class::isInstance).map(StepSampled.class::cast).toList();
    }

    public RunStarted started() {
        return events.stream().filter(RunStarted.class::isInstance).map(RunStarted.class::cast).findFirst().orElseThrow();
    }

    public RunFinished finished() {
        return events.stream().filter(RunFinished.class::isInstance).map(RunFinished.class::cast).findFirst().orElseThrow();
    }
}
