package io.trainwatch.contracts;

import java.util.Arrays;
import java.util.Optional;

/** The CloudEvents {@code ce_type} of every Trainwatch event, with the record that carries its data. */
public enum EventType {
    RUN_STARTED("run.started", RunStarted.class, Topics.RUN_EVENTS),
    EPOCH_COMPLETED("epoch.completed", EpochCompleted.class, Topics.RUN_EVENTS),
    STEP_SAMPLED("step.sampled", StepSampled.class, Topics.RUN_EVENTS),
    RUN_FINISHED("run.finished", RunFinished.class, Topics.RUN_EVENTS),
    RUN_CANCEL_REQUESTED("run.cancel-requested", RunCancelRequested.class, Topics.RUN_CONTROL),
    ANALYSIS_UPDATED("analysis.updated", AnalysisUpdated.class, Topics.RUN_INSIGHTS),
    ALERT_OPENED("alert.opened", AlertOpened.class, Topics.RUN_INSIGHTS),
    ALERT_RESOLVED("alert.resolved", AlertResolved.class, Topics.RUN_INSIGHTS);

    /** Every schema's {@code $id} starts with this; the version segment follows the topics' {@code v1}. */
    public static final String SCHEMA_ID_PREFIX = "https://trainwatch.io/schemas/v1/";

    private final String ceType;
    private final Class<? extends TrainwatchEvent> dataClass;
    private final String topic;

    EventType(String ceType, Class<? extends TrainwatchEvent> dataClass, String topic) {
        this.ceType = ceType;
        this.dataClass = dataClass;
        this.topic = topic;
    }

    /** The value of the {@code ce_type} header, e.g. {@code epoch.completed}. */
    public String ceType() {
        return ceType;
    }

    public Class<? extends TrainwatchEvent> dataClass() {
        return dataClass;
    }

    /** The topic this event travels on. */
    public String topic() {
        return topic;
    }

    /** The schema file under {@code schemas/} that describes this event's data. */
    public String schemaResource() {
        return "schemas/" + ceType + ".schema.json";
    }

    /**
     * The schema's {@code $id}, sent as the CloudEvents {@code dataschema} attribute: it names the schema; metrics-api
     * serves the document at {@code GET /api/v1/schemas/{ce_type}}.
     */
    public String schemaId() {
        return SCHEMA_ID_PREFIX + ceType + ".schema.json";
    }

    public static Optional<EventType> fromCeType(String ceType) {
        return Arrays.stream(values()).filter(t -> t.ceType.equals(ceType)).findFirst();
    }

    @Override
    public String toString() {
        return ceType;
    }
}
