package io.trainwatch.trainer.training;

import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.TrainwatchEvent;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event a run emits, in order, for assertions. */
public final class RecordingSink implements RunEventSink {

    public final List<TrainwatchEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void publish(TrainwatchEvent event) {
        events.add(event);
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
