package io.trainwatch.contracts;

/** The data of one Trainwatch event. Every event belongs to one run and carries the schema version it was written with. */
public sealed interface TrainwatchEvent
        permits RunStarted, EpochCompleted, StepSampled, RunHeartbeat, RunFinished, RunCancelRequested,
        AnalysisUpdated, AlertOpened, AlertResolved {

    /** The version of the v1 schema family: additive changes keep 1; a breaking change gets a new topic. */
    int CURRENT_SCHEMA_VERSION = 1;

    int schemaVersion();

    String runId();

    EventType type();
}
