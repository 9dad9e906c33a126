package io.trainwatch.trainer.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.trainer.messaging.KafkaSettings;
import io.trainwatch.trainer.training.RecordingSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hosts' takers share one job topic on real Kafka (the shared local stack; a topic and group of this test's own,
 * so a Quarkus app of another test in this JVM cannot take these jobs). No Quarkus, and no training: DJL's PyTorch
 * engine trains one model at a time per JVM, so each "host" here is a {@link FakeRunner} with one slot that holds a
 * job for a while; the packaged apps train for real in e2e's JobQueueIT.
 */
class JobTakerTest {

    private static final String JOB = """
            {"name": "queue-%d", "project": "queue-test", "model": {"type": "mlp", "hidden": [16, 16]},
             "dataset": {"type": "spirals", "train_size": 640, "val_size": 200, "noise": 0.2, "seed": 3},
             "epochs": %d, "batch_size": 32, "optimizer": {"type": "adam", "learning_rate": 0.01}}
            """;

    private final String bootstrap = LocalStackTestResource.stack().kafkaBootstrapServers();
    private final String topic = "queue-test-" + UUID.randomUUID();
    private final String group = "queue-test-" + UUID.randomUUID();

    private record Host(FakeRunner jobs, JobTaker taker, RecordingSink sink) implements AutoCloseable {
        @Override
        public void close() {
            taker.close();
            jobs.close();
        }
    }

    private Host host(String name, Duration jobTakes) {
        RecordingSink sink = new RecordingSink();
        FakeRunner jobs = new FakeRunner(jobTakes);
        JobTaker taker = new JobTaker(KafkaSettings.bootstrap(bootstrap), topic, group, Duration.ofSeconds(6), 3, name, java.nio.file.Path.of("datasets"),
                jobs, new QueuedCancels(), sink);
        return new Host(jobs, taker, sink);
    }

    @Test
    void sixJobsOnTwoHostsEachRunExactlyOnceAndBothHostsTakeSome() throws Exception {
        createTopic(6);
        try (Host a = host("host-a", Duration.ofMillis(700)); Host b = host("host-b", Duration.ofMillis(700))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> a.taker().joined() && b.taker().joined());
            List<String> runIds = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                runIds.add(send(i, 4));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> a.jobs().ended().size() + b.jobs().ended().size() >= 6);
            List<String> all = new ArrayList<>(a.jobs().started());
            all.addAll(b.jobs().started());
            assertEquals(runIds.stream().sorted().toList(), all.stream().sorted().toList(), "each job started once, on one host");
            assertTrue(!a.jobs().started().isEmpty() && !b.jobs().started().isEmpty(),
                    "one slot each: neither host takes every job while the other is idle: " + a.jobs().started() + " / " + b.jobs().started());
            assertEquals(1, Math.max(a.jobs().mostAtOnce(), b.jobs().mostAtOnce()), "never more jobs at once than slots");
            assertTrue(a.sink().events.isEmpty() && b.sink().events.isEmpty(), "no lost run reported: " + a.sink().events + b.sink().events);
        }
    }

    @Test
    void aJobWhoseHostIsLostRunsAgainAsANewAttemptOnAnotherHost() throws Exception {
        createTopic(2);
        Host a = host("host-a", Duration.ofHours(1));
        String runId;
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> a.taker().joined());
            runId = send(0, 12);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.jobs().started().contains(runId));
        } finally {
            // The host is lost mid-job: its consumer leaves the group without committing the job's end.
            a.taker().close();
        }
        try (Host b = host("host-b", Duration.ofMillis(200))) {
            String retry = runId + "-a2";
            await().atMost(Duration.ofSeconds(60)).until(() -> b.jobs().ended().contains(retry));
            assertEquals(List.of(retry), b.jobs().started(), "host b ran the retry, under its own run id, once");
            RunFinished lost = (RunFinished) b.sink().events.stream().filter(RunFinished.class::isInstance).findFirst().orElseThrow();
            assertEquals(runId, lost.runId());
            assertEquals(RunStatus.FAILED, lost.status());
            assertEquals("host lost: trainer host host-a stopped while training it; retried as " + retry, lost.reason());
            assertEquals(1, b.sink().events.size(), "one report of the lost run: " + b.sink().events);
        } finally {
            a.jobs().close();
        }
    }

    @Test
    void aJobIsRetriedAtMostMaxAttemptsTimes() throws Exception {
        createTopic(1);
        String runId = send(0, 3);
        // Three hosts in turn take the job and are lost with it: the fourth reports the last loss and does not retry.
        for (int attempt = 1; attempt <= 3; attempt++) {
            Host h = host("host-" + attempt, Duration.ofHours(1));
            String expected = attempt == 1 ? runId : runId + "-a" + attempt;
            await().atMost(Duration.ofSeconds(60)).until(() -> h.jobs().started().contains(expected));
            h.taker().close();
            h.jobs().close();
        }
        try (Host last = host("host-4", Duration.ofMillis(100))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !last.sink().events.isEmpty());
            RunFinished f = (RunFinished) last.sink().events.get(0);
            assertEquals(runId + "-a3", f.runId());
            assertEquals(RunStatus.FAILED, f.status());
            assertTrue(f.reason().endsWith("not retried: 3 attempts made (trainwatch.queue.max-attempts)"), f.reason());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> last.jobs().started().isEmpty());
        }
    }

    @Test
    void newJobsGoToPartitionsWithoutARunningJob() throws Exception {
        createTopic(3);
        try (Host a = host("host-a", Duration.ofHours(1)); JobPartitions partitions = new JobPartitions(KafkaSettings.bootstrap(bootstrap), topic, group)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> a.taker().joined());
            String runId = send(0, 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.jobs().started().contains(runId));
            int busy = partitionOf(runId);
            for (int i = 0; i < 30; i++) {
                Integer chosen = partitions.leastBusy();
                assertTrue(chosen != null && chosen != busy, "partition " + busy + " holds the running job; chose " + chosen);
            }
        }
    }

    private int partitionOf(String runId) throws Exception {
        try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                "bootstrap.servers", bootstrap, "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer",
                "value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"))) {
            List<org.apache.kafka.common.TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        return r.partition();
                    }
                }
            }
        }
        throw new AssertionError(runId + " not found on " + topic);
    }

    private void createTopic(int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(15, TimeUnit.SECONDS);
        }
    }

    private String send(int i, int epochs) throws Exception {
        String runId = "run-" + UUID.randomUUID();
        JsonNode spec = EventCodec.instance().mapper().readTree(JOB.formatted(i, epochs));
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            p.send(new ProducerRecord<>(topic, runId, new JobMessage(runId, spec, Instant.now(), "test").encode())).get(15, TimeUnit.SECONDS);
        }
        return runId;
    }
}
