package io.trainwatch.metrics.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;

/**
 * Sends a run event that can never be stored to {@code trainwatch.run-events.v1.dlq}: the original key, value and
 * headers, plus the reason and where it came from, under the header names SmallRye's own dead-letter queue uses
 * ({@code dead-letter-reason}, {@code dead-letter-cause}, {@code dead-letter-topic}, {@code -partition}, {@code -offset}).
 */
// Created at start so that its meters are exported from the first scrape, not the first record.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class DeadLetters {

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    public static final String H_REASON = "dead-letter-reason";
    public static final String H_CAUSE = "dead-letter-cause";
    public static final String H_TOPIC = "dead-letter-topic";
    public static final String H_PARTITION = "dead-letter-partition";
    public static final String H_OFFSET = "dead-letter-offset";

    @Inject
    @Channel("run-events-dlq")
    // A burst of poison records waits here rather than failing the batch; the ingest awaits every send.
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<byte[]> emitter;

    private final Counter deadLettered;

    @Inject
    public DeadLetters(MeterRegistry registry) {
        this.deadLettered = Counter.builder("trainwatch.ingest.dead.letters")
                .description("Run events sent to the dead-letter topic").register(registry);
    }

    /** Completes once the broker has the dead letter, so the source offset may be committed. */
    public Uni<Void> send(ConsumerRecord<String, byte[]> record, String reason, Throwable cause) {
        LOG.warnf("dead-lettering %s-%d@%d (key %s): %s", record.topic(), record.partition(), record.offset(),
                record.key(), reason);
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(H_REASON, utf8(reason));
        if (cause != null) {
            headers.add(H_CAUSE, utf8(cause.getClass().getName()));
        }
        headers.add(H_TOPIC, utf8(record.topic()));
        headers.add(H_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(H_OFFSET, utf8(Long.toString(record.offset())));
        byte[] value = record.value() == null ? new byte[0] : record.value();
        Message<byte[]> message = Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.key()).withHeaders(headers).build());
        return emitter.sendMessage(message).invoke(() -> deadLettered.increment());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
