package io.trainwatch.trainer.queue;

import io.trainwatch.trainer.messaging.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Chooses the job topic partition for a new job: one with the fewest jobs waiting or running (end offset less the
 * takers' committed offset, which stays at a running job until it ends). A job on a partition whose job is running
 * waits for that job, because the partition stays with the host that runs it; spreading new jobs over idle
 * partitions keeps that rare.
 */
final class JobPartitions implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobPartitions.class);
    private static final long TIMEOUT_MS = 5_000;

    private final String topic;
    private final String group;
    private final Admin admin;

    JobPartitions(KafkaSettings kafka, String topic, String group) {
        this.topic = topic;
        this.group = group;
        // Fixed: a submit waits for these calls, so their timeouts are the ones leastBusy() waits for.
        this.admin = Admin.create(kafka.client(Map.of(), Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS,
                AdminClientConfig.CLIENT_ID_CONFIG, "trainwatch-job-partitions")));
    }

    /** The least busy partition (a random one among equals), or null (the key decides) when Kafka does not say. */
    Integer leastBusy() {
        try {
            List<TopicPartition> tps = new ArrayList<>();
            for (TopicPartitionInfo p : admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .get(topic).partitions()) {
                tps.add(new TopicPartition(topic, p.partition()));
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            tps.forEach(tp -> {
                latest.put(tp, OffsetSpec.latest());
                earliest.put(tp, OffsetSpec.earliest());
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            long fewest = Long.MAX_VALUE;
            List<Integer> best = new ArrayList<>();
            for (TopicPartition tp : tps) {
                OffsetAndMetadata c = committed.get(tp);
                long from = Math.max(starts.get(tp).offset(), c == null ? 0 : c.offset());
                long load = ends.get(tp).offset() - from;
                if (load < fewest) {
                    fewest = load;
                    best.clear();
                }
                if (load == fewest) {
                    best.add(tp.partition());
                }
            }
            return best.isEmpty() ? null : best.get(ThreadLocalRandom.current().nextInt(best.size()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            LOG.debugf("job partitions: could not weigh them (%s); the run id's hash decides", e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
