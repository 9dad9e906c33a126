package io.trainwatch.metrics.publish;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * Publishes events as CloudEvents in Kafka binary mode (ce_* headers, JSON data, run id as key) to the topic of their
 * type: HTTP ingest to the run-events topic (one write path: the consumer stores them), cancel requests to the control
 * topic, verdicts and alerts to the insights topic. Each Uni completes when the broker has acknowledged the record.
 */
@ApplicationScoped
public class TopicPublisher {

    public static final String SOURCE = "/trainwatch/metrics-api";

    // Buffers are bounded; a full buffer fails the send (HTTP answers 503) rather than growing without limit.
    @Inject
    @Channel("run-events-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
    MutinyEmitter<byte[]> runEvents;

    @Inject
    @Channel("run-control")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    MutinyEmitter<byte[]> runControl;

    @Inject
    @Channel("run-insights")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
    MutinyEmitter<byte[]> runInsights;

    /** Publishes the event with a fresh ce_id; the Uni yields that id once the broker acknowledged it. */
    public Uni<String> publish(TrainwatchEvent event) {
        return publish(event, null);
    }

    /**
     * Publishes the event with the producer's id as ce_id ({@code null}: a fresh one), so a retried HTTP request
     * carrying the same ids is applied once; the Uni yields the id once the broker acknowledged it.
     */
    public Uni<String> publish(TrainwatchEvent event, String eventId) {
        String id = eventId == null ? CloudEvents.newId() : eventId;
        Map<String, String> ce = CloudEvents.headers(event, id, SOURCE, Instant.now());
        RecordHeaders headers = new RecordHeaders();
        ce.forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
        Message<byte[]> message = Message.of(EventCodec.instance().encode(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.runId()).withHeaders(headers).build());
        return emitterFor(event.type().topic()).sendMessage(message).replaceWith(id);
    }

    /**
     * A tombstone on the insights topic (key the run id, no value): the run was deleted, so a compacted topic and its
     * readers forget it. The Uni completes once the broker acknowledged it.
     */
    public Uni<Void> tombstone(String runId) {
        Message<byte[]> message = Message.<byte[]>of(null)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(runId).build());
        return runInsights.sendMessage(message);
    }

    private MutinyEmitter<byte[]> emitterFor(String topic) {
        return switch (topic) {
            case Topics.RUN_EVENTS -> runEvents;
            case Topics.RUN_CONTROL -> runControl;
            case Topics.RUN_INSIGHTS -> runInsights;
            default -> throw new IllegalArgumentException("no publisher for topic " + topic);
        };
    }
}
