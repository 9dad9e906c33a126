package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.testsupport.TopicReader.Received;
import io.trainwatch.testsupport.TopicReader;

import java.time.Duration;
import java.util.List;

/** The trainer's view of the shared {@link TopicReader}: one run's records on the run-events topic, decoded. */
public final class RunEventRecords {

    private RunEventRecords() {
    }

    /** A reader of one run's records on the run-events topic, from the beginning. */
    public static TopicReader reader(String bootstrapServers, String runId) {
        return TopicReader.forKey(bootstrapServers, Topics.RUN_EVENTS, runId);
    }

    /** The record's event, decoded by its ce_type. */
    public static TrainwatchEvent event(Received r) {
        return EventCodec.instance().decode(r.header(CloudEvents.H_TYPE), r.value());
    }

    public static String ceId(Received r) {
        return r.header(CloudEvents.H_ID);
    }

    /** Reads until the run's run.finished, then a little longer to catch duplicates; returns everything read. */
    public static List<Received> untilFinished(TopicReader reader, Duration timeout) {
        reader.until(r -> event(r) instanceof RunFinished, timeout);
        return reader.readFor(Duration.ofMillis(200));
    }
}
