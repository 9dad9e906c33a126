package io.trainwatch.stack;

import io.trainwatch.contracts.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starts the real servers: Kafka and PostgreSQL must answer, keep data across a broker restart, and free their ports. */
class LocalStackSmokeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void startsServesEveryTopicAndTheDatabaseSurvivesAKafkaRestartAndFreesItsPorts() throws Exception {
        int kafkaPort;
        int postgresPort;
        try (LocalStack stack = LocalStack.builder().optPartitions(3).build().start()) {
            kafkaPort = port(stack.kafkaBootstrapServers());
            postgresPort = URI.create(stack.reactiveUrl()).getPort();
            assertTrue(stack.kafkaEmbedded() && stack.postgresEmbedded(), "both servers embedded: " + stack);
            assertEquals("jdbc:postgresql://127.0.0.1:" + postgresPort + "/trainwatch", stack.jdbcUrl());
            assertEquals("postgresql://127.0.0.1:" + postgresPort + "/trainwatch", stack.reactiveUrl());
            assertEquals("trainwatch", stack.username());
            assertEquals(Files.readString(stack.passwordFile().orElseThrow()).strip(), stack.password(),
                    "the generated password, kept in the data dir");
            assertFalse(portFree(kafkaPort), "Kafka listens on " + kafkaPort);
            assertFalse(portFree(postgresPort), "PostgreSQL listens on " + postgresPort);

            try (Admin admin = admin(stack)) {
                Map<String, TopicDescription> topics = admin.describeTopics(Topics.ALL).allTopicNames()
                        .get(30, TimeUnit.SECONDS);
                assertEquals(Topics.ALL.size(), topics.size(), "every topic created: " + topics.keySet());
                topics.values().forEach(t -> assertEquals(3, t.partitions().size(), t.name() + " partitions"));
            }

            for (String topic : Topics.ALL) {
                String value = "hello-" + topic + "-" + UUID.randomUUID();
                produce(stack, topic, "run-1", value);
                assertTrue(consumeAll(stack, topic).contains(value), topic + " gives back " + value);
            }

            try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(), stack.username(),
                    stack.password()); Statement statement = connection.createStatement()) {
                statement.execute("create table smoke (id int primary key, name text not null)");
                assertEquals(1, statement.executeUpdate("insert into smoke values (1, 'trainwatch')"));
                try (ResultSet rows = statement.executeQuery("select name from smoke where id = 1")) {
                    assertTrue(rows.next(), "the inserted row is there");
                    assertEquals("trainwatch", rows.getString(1));
                }
                try (ResultSet rows = statement.executeQuery("select current_user, current_database()")) {
                    assertTrue(rows.next());
                    assertEquals("trainwatch", rows.getString(1));
                    assertEquals("trainwatch", rows.getString(2));
                }
            }

            String beforeRestart = "before-restart-" + UUID.randomUUID();
            produce(stack, Topics.RUN_EVENTS, "run-2", beforeRestart);
            stack.stopKafka();
            assertFalse(stack.kafkaRunning());
            assertTrue(portFree(kafkaPort), "Kafka port " + kafkaPort + " is free while the broker is stopped");
            stack.startKafka();
            assertTrue(stack.kafkaRunning());
            assertEquals(kafkaPort, port(stack.kafkaBootstrapServers()), "same port after the restart");
            assertTrue(consumeAll(stack, Topics.RUN_EVENTS).contains(beforeRestart),
                    "a record produced before the restart is readable after it");
            String afterRestart = "after-restart-" + UUID.randomUUID();
            produce(stack, Topics.RUN_EVENTS, "run-2", afterRestart);
            assertTrue(consumeAll(stack, Topics.RUN_EVENTS).contains(afterRestart));
        }
        assertTrue(portFree(kafkaPort), "Kafka port " + kafkaPort + " is free after close");
        await().atMost(TIMEOUT).until(() -> portFree(postgresPort));
    }

    @Test
    void aPersistentDataDirKeepsRecordsAndRowsAcrossRunsAndFreshWipesThem(@TempDir Path tmp) throws Exception {
        Path dataDir = tmp.resolve("data");
        // ./run makes logs/ before the stack starts; that does not make the directory someone else's.
        Path runLog = Files.createDirectories(dataDir.resolve("logs")).resolve("local-stack.log");
        Files.writeString(runLog, "log line");
        String value = "persisted-" + UUID.randomUUID();
        try (LocalStack first = LocalStack.builder().optDataDir(dataDir).optPartitions(2).build().start()) {
            produce(first, Topics.RUN_CONTROL, "run-3", value);
            sql(first, "create table kept (v text)", "insert into kept values ('" + value + "')");
        }
        assertTrue(Files.isDirectory(dataDir.resolve("kafka")) && Files.isDirectory(dataDir.resolve("postgres")));

        try (LocalStack second = LocalStack.builder().optDataDir(dataDir).optPartitions(2).build().start()) {
            assertTrue(consumeAll(second, Topics.RUN_CONTROL).contains(value), "record kept across runs");
            assertEquals(value, sql(second, "select v from kept"), "row kept across runs");
        }

        try (LocalStack fresh = LocalStack.builder().optDataDir(dataDir).optFresh(true).optPartitions(2).build()
                .start()) {
            assertFalse(consumeAll(fresh, Topics.RUN_CONTROL).contains(value), "fresh start has no old records");
            assertThrows(SQLException.class, () -> sql(fresh, "select v from kept"), "fresh start has no old table");
        }
        assertEquals("log line", Files.readString(runLog), "fresh keeps logs/");

        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("precious.txt"), "not ours");
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> LocalStack.builder().optDataDir(foreign).optFresh(true).build().start());
        assertTrue(refused.getMessage().startsWith("fresh: refusing to wipe"), refused.getMessage());
        assertTrue(Files.exists(foreign.resolve("precious.txt")), "a directory LocalStack did not make is left alone");
    }

    @Test
    void externalServersAreUsedInsteadOfStartingNewOnes() throws Exception {
        try (LocalStack owner = LocalStack.builder().optPartitions(1).build().start();
             LocalStack external = LocalStack.builder()
                     .optExternalKafka(owner.kafkaBootstrapServers())
                     .optExternalDatabase(owner.jdbcUrl() + "?ApplicationName=smoke", owner.username(),
                             owner.password())
                     .build().start()) {
            assertFalse(external.kafkaEmbedded() || external.postgresEmbedded(), "nothing embedded: " + external);
            assertEquals(owner.kafkaBootstrapServers(), external.kafkaBootstrapServers());
            assertEquals(owner.reactiveUrl(), external.reactiveUrl(), "JDBC parameters dropped from the reactive url");
            assertEquals(owner.password(), external.password(), "an external server's password as given");
            assertTrue(external.passwordFile().isEmpty(), "no password file for an external server");
            assertThrows(IllegalStateException.class, external::stopKafka);
            String value = "via-external-" + UUID.randomUUID();
            produce(external, Topics.RUN_INSIGHTS, "run-4", value);
            assertTrue(consumeAll(owner, Topics.RUN_INSIGHTS).contains(value));
        }
    }

    @Test
    void rejectsBadOptionsNamingTheField() {
        IllegalArgumentException partitions = assertThrows(IllegalArgumentException.class,
                () -> LocalStack.builder().optPartitions(0));
        assertEquals("partitions: must be between 1 and 1000, was 0", partitions.getMessage());
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
                () -> LocalStack.builder().optExternalDatabase("postgresql://h:1/db", "u", "p"));
        assertTrue(url.getMessage().startsWith("TRAINWATCH_DB_URL: must start with jdbc:postgresql://"),
                url.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LocalStack.builder().optDatabase("x; drop"));
    }

    private static Admin admin(LocalStack stack) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
    }

    private static void produce(LocalStack stack, String topic, String key, String value) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Every value in the topic, read from the beginning of each partition up to the end offsets. */
    private static List<String> consumeAll(LocalStack stack, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            List<String> values = new ArrayList<>();
            await().atMost(TIMEOUT).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            return values;
        }
    }

    /** Runs the statements; returns the first column of the first row of the last one when it is a query. */
    private static String sql(LocalStack stack, String... statements) throws SQLException {
        try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(), stack.username(),
                stack.password()); Statement statement = connection.createStatement()) {
            String result = null;
            for (String sql : statements) {
                if (statement.execute(sql)) {
                    try (ResultSet rows = statement.getResultSet()) {
                        result = rows.next() ? rows.getString(1) : null;
                    }
                }
            }
            return result;
        }
    }

    private static int port(String hostAndPort) {
        return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    }

    private static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
