package io.trainwatch.stack;

import io.trainwatch.contracts.Topics;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.trainwatch.stack.Ports.HOST;

/**
 * The stack's Kafka: an embedded single-node KRaft broker in this JVM (log dir {@code <dataDir>/kafka}), or an
 * external one; either way with every topic of {@link Topics#ALL}. Not thread-safe: {@link LocalStack} serialises
 * the calls.
 */
final class KafkaNode {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaNode.class);

    /** Null for the embedded broker. */
    private final String external;
    private final int requestedPort;
    private final int partitions;

    private Path dataDir;
    private int port;
    private int controllerPort;
    private Properties properties;
    private KafkaRaftServer broker;

    KafkaNode(String external, int requestedPort, int partitions) {
        this.external = external;
        this.requestedPort = requestedPort;
        this.partitions = partitions;
    }

    boolean embedded() {
        return external == null;
    }

    /** Starts the embedded broker (or finds the external one) and returns once every topic partition is led. */
    void start(Path dataDir) {
        this.dataDir = dataDir;
        if (external == null) {
            port = Ports.choose("kafkaPort", requestedPort);
            controllerPort = Ports.free();
            LOG.info("Kafka: embedded KRaft broker on {}:{} (log dir {})", HOST, port, logDir());
            startBroker();
        } else {
            LOG.info("Kafka: external at {} ({} is set); no broker started", external,
                    LocalStack.KAFKA_BOOTSTRAP_SERVERS);
        }
        awaitAndCreateTopics();
    }

    String bootstrapServers() {
        return external != null ? external : HOST + ":" + Ports.requireStarted(port, "kafkaBootstrapServers");
    }

    boolean running() {
        return external != null || broker != null;
    }

    /** Stops only the embedded broker, keeping its port and log dir; does nothing if it is stopped. */
    void stop() {
        requireEmbedded("stopKafka");
        if (broker == null) {
            return;
        }
        long begin = System.nanoTime();
        shutdownBroker();
        LOG.info("Kafka broker stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /** Starts the embedded broker again on the same port and log dir, after {@link #stop()}. */
    void restart() {
        requireEmbedded("startKafka");
        if (broker != null) {
            return;
        }
        long begin = System.nanoTime();
        startBroker();
        awaitAndCreateTopics();
        LOG.info("Kafka broker restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    /** Stops the broker if it runs; returns the failure instead of throwing it. */
    RuntimeException stopQuietly() {
        if (broker == null) {
            return null;
        }
        try {
            shutdownBroker();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    @Override
    public String toString() {
        return external != null ? external : HOST + ":" + port;
    }

    private void shutdownBroker() {
        KafkaRaftServer stopping = broker;
        broker = null;
        stopping.shutdown();
        stopping.awaitShutdown();
    }

    private void requireEmbedded(String operation) {
        if (external != null) {
            throw new IllegalStateException(operation + ": Kafka is external (" + external
                    + "); only an embedded broker can be stopped and started");
        }
    }

    private Path logDir() {
        return dataDir.resolve("kafka");
    }

    private void startBroker() {
        if (properties == null) {
            properties = brokerProperties();
            formatStorageIfNeeded(properties);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(properties, false), Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            server.awaitShutdown();
            throw new IllegalStateException("Kafka broker on " + HOST + ":" + port + " did not start: " + e, e);
        }
        broker = server;
    }

    private Properties brokerProperties() {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", "1");
        // A static quorum (not --standalone): the controller port may change between runs on the same log dir.
        props.setProperty("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        props.setProperty("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":"
                + controllerPort);
        props.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.setProperty("controller.listener.names", "CONTROLLER");
        props.setProperty("inter.broker.listener.name", "PLAINTEXT");
        props.setProperty("log.dirs", logDir().toString());
        props.setProperty("num.partitions", Integer.toString(partitions));
        props.setProperty("auto.create.topics.enable", "false");
        // One node: every replication factor and min ISR is 1, or internal topics can never be created.
        props.setProperty("default.replication.factor", "1");
        props.setProperty("min.insync.replicas", "1");
        props.setProperty("offsets.topic.replication.factor", "1");
        props.setProperty("transaction.state.log.replication.factor", "1");
        props.setProperty("transaction.state.log.min.isr", "1");
        props.setProperty("share.coordinator.state.topic.replication.factor", "1");
        props.setProperty("share.coordinator.state.topic.min.isr", "1");
        // Fewer internal partitions than the default 50: the first consumer group and transaction start faster.
        props.setProperty("offsets.topic.num.partitions", "5");
        props.setProperty("transaction.state.log.num.partitions", "5");
        props.setProperty("share.coordinator.state.topic.num.partitions", "5");
        // Tests join and leave groups all the time: no 3 s wait before the first rebalance.
        props.setProperty("group.initial.rebalance.delay.ms", "0");
        props.setProperty("message.max.bytes", Integer.toString(LocalStack.MAX_MESSAGE_BYTES));
        // The cleaner allocates its dedupe buffer up front (128 MiB by default): too much for a laptop stack.
        props.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        props.setProperty("num.network.threads", "2");
        props.setProperty("num.io.threads", "4");
        return props;
    }

    /** KRaft needs a formatted log dir; formatting once keeps the cluster id, so records survive restarts. */
    private void formatStorageIfNeeded(Properties props) {
        Path logDir = logDir();
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            Path propsFile = dataDir.resolve("kafka-server.properties");
            try (OutputStream out = Files.newOutputStream(propsFile)) {
                props.store(out, "Written by LocalStack to format the KRaft log dir");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int status;
            // execute, not main: main calls System.exit.
            try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                status = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                        propsFile.toString()}, print);
            }
            if (status != 0) {
                throw new IllegalStateException("Kafka storage format of " + logDir + " failed with status " + status
                        + ": " + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Kafka storage format of " + logDir + " failed: " + e.getMessage(), e);
        }
    }

    private Admin admin() {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        props.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        props.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "trainwatch-local-stack");
        return Admin.create(props);
    }

    private void awaitAndCreateTopics() {
        long deadline = Retry.deadline();
        try (Admin admin = admin()) {
            Retry.until(deadline, "Kafka at " + bootstrapServers() + " to answer describeCluster", () -> {
                Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                return !nodes.isEmpty();
            });
            Retry.until(deadline, "topics " + Topics.ALL + " to exist", () -> {
                createMissingTopics(admin);
                return true;
            });
            Retry.until(deadline, "every partition of " + Topics.ALL + " to have a leader", () -> allLed(admin));
        }
    }

    private void createMissingTopics(Admin admin) throws Exception {
        Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        List<NewTopic> missing = new ArrayList<>();
        for (String topic : Topics.ALL) {
            if (!existing.contains(topic)) {
                // Events may be as large as Limits.MAX_EVENT_BYTES (a 10,000-layer model); Kafka's default is ~1 MB.
                missing.add(new NewTopic(topic, partitions, (short) 1)
                        .configs(Map.of("max.message.bytes", Integer.toString(LocalStack.MAX_MESSAGE_BYTES))));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        try {
            admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
            LOG.info("Created topics {} with {} partitions", missing.stream().map(NewTopic::name).toList(),
                    partitions);
        } catch (ExecutionException e) {
            // Another process (or a previous, timed-out attempt) created it first: that is what we wanted.
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private boolean allLed(Admin admin) throws Exception {
        Map<String, TopicDescription> descriptions = admin.describeTopics(Topics.ALL).allTopicNames()
                .get(10, TimeUnit.SECONDS);
        for (TopicDescription description : descriptions.values()) {
            for (TopicPartitionInfo partition : description.partitions()) {
                if (partition.leader() == null || partition.leader().isEmpty()) {
                    return false;
                }
            }
            if (description.partitions().size() != partitions) {
                LOG.info("Topic {} exists with {} partitions (configured {}); left as it is", description.name(),
                        description.partitions().size(), partitions);
            }
        }
        return true;
    }
}
