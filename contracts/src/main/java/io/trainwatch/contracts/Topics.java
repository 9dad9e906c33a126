package io.trainwatch.contracts;

import java.util.List;

/** Kafka topic names. Every event of one run is keyed by its run id, so one partition keeps them in order. */
public final class Topics {

    /** run.started, epoch.completed, step.sampled, run.heartbeat, run.finished: trainer host or HTTP ingest to metrics-api. */
    public static final String RUN_EVENTS = "trainwatch.run-events.v1";
    /** run.cancel-requested: metrics-api to trainer host. */
    public static final String RUN_CONTROL = "trainwatch.run-control.v1";
    /** analysis.updated, alert.opened, alert.resolved: metrics-api to anyone. */
    public static final String RUN_INSIGHTS = "trainwatch.run-insights.v1";
    /** Run events that could not be read or stored, with the reason in headers. */
    public static final String RUN_EVENTS_DLQ = "trainwatch.run-events.v1.dlq";
    /** Submitted training jobs waiting for a trainer host, keyed by run id: any trainer host to the one that takes it. */
    public static final String JOBS = "trainwatch.jobs.v1";

    /** The consumer group that stores run events. */
    public static final String INGEST_GROUP = "trainwatch-ingest";
    /** The consumer group of every trainer host taking jobs from {@link #JOBS}. */
    public static final String JOB_TAKERS_GROUP = "trainwatch-job-takers";

    public static final List<String> ALL = List.of(RUN_EVENTS, RUN_CONTROL, RUN_INSIGHTS, RUN_EVENTS_DLQ, JOBS);

    private Topics() {
    }
}
