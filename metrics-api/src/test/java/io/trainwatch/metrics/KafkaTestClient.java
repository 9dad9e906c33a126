package io.trainwatch.metrics;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.TopicReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** A plain Kafka producer and the shared topic reader on the local stack's broker, as a trainer or a downstream reader would use. */
public final class KafkaTestClient {

    private static KafkaProducer<String, byte[]> producer;

    private KafkaTestClient() {
    }

    public static String bootstrap() {
        return LocalStackTestResource.stack().kafkaBootstrapServers();
    }

    static synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
            producer = new KafkaProducer<>(p);
        }
        return producer;
    }

    /** Publishes an event as the trainer does: run id key, CloudEvents headers, JSON data. Returns its ce_id. */
    public static String send(String topic, TrainwatchEvent event) {
        String id = CloudEvents.newId();
        send(topic, event, id);
        return id;
    }

    public static void send(String topic, TrainwatchEvent event, String ceId) {
        sendRaw(topic, event.runId(), CloudEvents.headers(event, ceId, "/test", Instant.now()),
                EventCodec.instance().encode(event));
    }

    public static void sendRaw(String topic, String key, Map<String, String> headers, byte[] value) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        try {
            producer().send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("send failed", e.getCause());
        }
    }

    /** A reader of the topic from its beginning. Close it. */
    public static TopicReader reader(String topic) {
        return TopicReader.fromBeginning(bootstrap(), topic);
    }

    /** A reader of the records of one key (a run id) on the topic, from its beginning. Close it. */
    public static TopicReader reader(String topic, String key) {
        return TopicReader.forKey(bootstrap(), topic, key);
    }
}
