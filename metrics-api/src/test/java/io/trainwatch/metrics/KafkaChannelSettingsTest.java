package io.trainwatch.metrics;

import io.trainwatch.contracts.Topics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * metrics-api makes no Kafka client by hand: its channels (and Quarkus's Kafka health check) get every {@code kafka.*}
 * setting from Quarkus's {@code default-kafka-broker} map, and a channel attribute wins over it. So the channels
 * inherit SASL/TLS as long as none of them sets a connection or security attribute itself, and each keeps the
 * attributes its correctness rests on. Checked on the packaged application.properties.
 */
class KafkaChannelSettingsTest {

    private static final Pattern CHANNEL = Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.([^.]+)\\.connector");
    /** Attributes that must come from kafka.* alone (also under the dead-letter-queue. prefix). */
    private static final Pattern CONNECTION = Pattern.compile("(dead-letter-queue\\.)?(bootstrap\\.servers|security\\.protocol|sasl\\..+|ssl\\..+)");

    @Test
    void noChannelShadowsTheKafkaConnectionOrSecuritySettings() throws IOException {
        Properties p = applicationProperties();
        List<String> channels = channels(p);
        assertEquals(List.of("incoming.run-events", "outgoing.run-control", "outgoing.run-events-dlq",
                "outgoing.run-events-out", "outgoing.run-insights"), channels);
        for (String key : p.stringPropertyNames()) {
            for (String channel : channels) {
                String prefix = "mp.messaging." + channel + ".";
                if (key.startsWith(prefix)) {
                    assertFalse(CONNECTION.matcher(key.substring(prefix.length())).matches(),
                            key + ": set it as kafka." + key.substring(prefix.length()) + " so every client has it");
                }
            }
        }
        assertTrue(p.getProperty("kafka.bootstrap.servers", "").contains("KAFKA_BOOTSTRAP_SERVERS"));
    }

    @Test
    void eachChannelKeepsItsFixedSettings() throws IOException {
        Properties p = applicationProperties();
        String in = "mp.messaging.incoming.run-events.";
        assertEquals(Topics.INGEST_GROUP, p.getProperty(in + "group.id"));
        assertEquals("org.apache.kafka.common.serialization.StringDeserializer", p.getProperty(in + "key.deserializer"));
        assertEquals("org.apache.kafka.common.serialization.ByteArrayDeserializer", p.getProperty(in + "value.deserializer"));
        for (String channel : channels(p)) {
            if (channel.startsWith("outgoing.")) {
                String out = "mp.messaging." + channel + ".";
                assertEquals("org.apache.kafka.common.serialization.StringSerializer", p.getProperty(out + "key.serializer"), channel);
                assertEquals("org.apache.kafka.common.serialization.ByteArraySerializer", p.getProperty(out + "value.serializer"), channel);
                assertEquals("all", p.getProperty(out + "acks"), channel);
            }
        }
    }

    private static List<String> channels(Properties p) {
        TreeSet<String> channels = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            Matcher m = CHANNEL.matcher(key);
            if (m.matches() && "smallrye-kafka".equals(p.getProperty(key))) {
                channels.add(m.group(1) + "." + m.group(2));
            }
        }
        return List.copyOf(channels);
    }

    private static Properties applicationProperties() throws IOException {
        Properties p = new Properties();
        try (InputStream in = KafkaChannelSettingsTest.class.getResourceAsStream("/application.properties")) {
            p.load(in);
        }
        return p;
    }
}
