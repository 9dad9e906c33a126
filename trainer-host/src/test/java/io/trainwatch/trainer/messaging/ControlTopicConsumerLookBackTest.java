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

/** A cancel sent before the control consumer had its partitions is read, thanks to the bounded look-back. */
class ControlTopicConsumerLookBackTest {

    @Test
    void aCancelSentBeforeTheConsumerStartedIsRead() {
        String bootstrap = LocalStackTestResource.stack().kafkaBootstrapServers();
        String runId = "run-lookback-" + UUID.randomUUID();
        RunCancelRequested cancel = new RunCancelRequested(1, runId, "sent early", "test", Instant.now(), "c-early");
        send(bootstrap, cancel);

        List<RunCancelRequested> seen = new CopyOnWriteArrayList<>();
        try (ControlTopicConsumer consumer = new ControlTopicConsumer(KafkaSettings.bootstrap(bootstrap), "test-control-" + UUID.randomUUID(),
                Duration.ofMinutes(1), c -> {
                    if (runId.equals(c.runId())) {
                        seen.add(c);
                    }
                })) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !seen.isEmpty());
            assertEquals("c-early", seen.get(0).cancelId());
        }
    }

    private static void send(String bootstrap, RunCancelRequested cancel) {
        Map<String, Object> c = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c)) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.RUN_CONTROL, cancel.runId(),
                    EventCodec.instance().encode(cancel));
            CloudEvents.headers(cancel, CloudEvents.newId(), "/test", Instant.now())
                    .forEach((k, v) -> r.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
            p.send(r);
            p.flush();
        }
    }
}
