package io.trainwatch.contracts;

import java.util.Arrays;
import java.util.Optional;

/**
 * The CloudEvents {@code ce_type} of every Trainwatch event, with the record that carries its data.
 *
 * <p>Types follow the CloudEvents advice of a reverse-DNS prefix ({@link #TYPE_PREFIX}): producers send
 * {@code io.trainwatch.epoch.completed}. Earlier builds sent the bare {@link #baseName()}
 * ({@code epoch.completed}); such records stay on the v1 topics for their retention, so {@link #fromCeType} accepts
 * both and every consumer that goes through it reads old and new records alike.
 */
public enum EventType {
    RUN_STARTED("run.started", RunStarted.class, Topics.RUN_EVENTS),
    EPOCH_COMPLETED("epoch.completed", EpochCompleted.class, Topics.RUN_EVENTS),
    STEP_SAMPLED("step.sampled", StepSampled.class, Topics.RUN_EVENTS),
    RUN_HEARTBEAT("run.heartbeat", RunHeartbeat.class, Topics.RUN_EVENTS),
    RUN_FINISHED("run.finished", RunFinished.class, Topics.RUN_EVENTS),
    RUN_CANCEL_REQUESTED("run.cancel-requested", RunCancelRequested.class, Topics.RUN_CONTROL),
    ANALYSIS_UPDATED("analysis.updated", AnalysisUpdated.class, Topics.RUN_INSIGHTS),
    ALERT_OPENED("alert.opened", AlertOpened.class, Topics.RUN_INSIGHTS),
    ALERT_RESOLVED("alert.resolved", AlertResolved.class, Topics.RUN_INSIGHTS);

    /** The reverse-DNS prefix of every {@code ce_type}. */
    public static final String TYPE_PREFIX = "io.trainwatch.";

    /** Every schema's {@code $id} starts with this; the version segment follows the topics' {@code v1}. */
    public static final String SCHEMA_ID_PREFIX = "https://trainwatch.io/schemas/v1/";

    private final String baseName;
    private final String ceType;
    private final Class<? extends TrainwatchEvent> dataClass;
    private final String topic;

    EventType(String baseName, Class<? extends TrainwatchEvent> dataClass, String topic) {
        this.baseName = baseName;
        this.ceType = TYPE_PREFIX + baseName;
        this.dataClass = dataClass;
        this.topic = topic;
    }

    /** The value of the {@code ce_type} header producers send, e.g. {@code io.trainwatch.epoch.completed}. */
    public String ceType() {
        return ceType;
    }

    /**
     * The type without its prefix, e.g. {@code epoch.completed}: the {@code ce_type} that earlier builds sent (still
     * accepted), and the name of the event's schema and example files.
     */
    public String baseName() {
        return baseName;
    }

    public Class<? extends TrainwatchEvent> dataClass() {
        return dataClass;
    }

    /** The topic this event travels on. */
    public String topic() {
        return topic;
    }

    /** The schema file under {@code schemas/} that describes this event's data; with {@link #exampleResource}, the one
     * type → file mapping. */
    public String schemaResource() {
        return "schemas/" + baseName + ".schema.json";
    }

    /** A golden example of this event's data, e.g. {@code examples/epoch.completed/full.json} for {@code "full"}. */
    public String exampleResource(String name) {
        return "examples/" + baseName + "/" + name + ".json";
    }

    /**
     * The schema's {@code $id}, sent as the CloudEvents {@code dataschema} attribute: it names the schema; metrics-api
     * serves the document at {@code GET /api/v1/schemas/{ce_type}}. It did not change with the prefixed types
     * because the data did not: old and new records of one event name the same schema.
     */
    public String schemaId() {
        return SCHEMA_ID_PREFIX + baseName + ".schema.json";
    }

    /** The type a {@code ce_type} names: the prefixed name, or the bare name that earlier builds sent. */
    public static Optional<EventType> fromCeType(String ceType) {
        return Arrays.stream(values()).filter(t -> t.ceType.equals(ceType) || t.baseName.equals(ceType)).findFirst();
    }

    @Override
    public String toString() {
        return ceType;
    }
}
