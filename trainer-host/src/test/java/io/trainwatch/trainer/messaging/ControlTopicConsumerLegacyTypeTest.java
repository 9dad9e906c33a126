package io.trainwatch.trainer.messaging;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A cancel from a metrics-api built before the reverse-DNS prefix ({@code ce_type: run.cancel-requested}) is honoured
 * like one from an upgraded metrics-api ({@code io.trainwatch.run.cancel-requested}), and in order.
 */
class ControlTopicConsumerLegacyTypeTest {

    @Test
    void cancelsWithTheBareAndThePrefixedTypeAreBothRead() {
        String bootstrap = LocalStackTestResource.stack().kafkaBootstrapServers();
        String runId = "run-legacy-type-" + UUID.randomUUID();
        send(bootstrap, new RunCancelRequested(1, runId, "old metrics-api", "test", Instant.now(), "c-legacy"),
                "run.cancel-requested");
        send(bootstrap, new RunCancelRequested(1, runId, "new metrics-api", "test", Instant.now(), "c-prefixed"),
                "io.trainwatch.run.cancel-requested");

        List<String> seen = new CopyOnWriteArrayList<>();
        try (ControlTopicConsumer consumer = new ControlTopicConsumer(KafkaSettings.bootstrap(bootstrap),
                "test-control-" + UUID.randomUUID(), Duration.ofMinutes(1), c -> {
                    if (runId.equals(c.runId())) {
                        seen.add(c.cancelId());
                    }
                })) {
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 2);
            assertEquals(List.of("c-legacy", "c-prefixed"), seen);
        }
    }

    private static void send(String bootstrap, RunCancelRequested cancel, String ceType) {
        Map<String, Object> c = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c)) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.RUN_CONTROL, cancel.runId(),
                    EventCodec.instance().encode(cancel));
            Map<String, String> headers = new java.util.LinkedHashMap<>(
                    CloudEvents.headers(cancel, CloudEvents.newId(), "/test", Instant.now()));
            headers.put(CloudEvents.H_TYPE, ceType);
            headers.forEach((k, v) -> r.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
            p.send(r);
            p.flush();
        }
    }
}
