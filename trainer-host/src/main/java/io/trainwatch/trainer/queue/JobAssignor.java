package io.trainwatch.trainer.queue;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Assigns the job topic's partitions so that (1) a partition whose job a host is training stays with that host (its
 * offset is committed only when the job ends; giving it away would start the job twice), and (2) every other
 * partition goes to hosts with a free slot, so no job waits behind a busy host while another is idle. Hosts ask for
 * a new assignment whenever they fill up or free a slot. Eager protocol: simple, and rebalances are rare (per job).
 */
public final class JobAssignor implements ConsumerPartitionAssignor, Configurable {

    private TakerState state;

    @Override
    public void configure(Map<String, ?> configs) {
        state = (TakerState) configs.get(TakerState.CONFIG_KEY);
    }

    @Override
    public String name() {
        return "trainwatch-job";
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return state.encode();
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
        Map<String, Subscription> members = new TreeMap<>(groupSubscription.groupSubscription()); // stable order
        Map<String, List<TopicPartition>> out = new HashMap<>();
        Map<String, TakerState.Announced> announced = new HashMap<>();
        members.forEach((id, s) -> {
            out.put(id, new ArrayList<>());
            announced.put(id, TakerState.Announced.decode(s.userData()));
        });
        List<PartitionInfo> partitions = metadata.partitionsForTopic(state.topic());
        List<TopicPartition> free = new ArrayList<>();
        for (PartitionInfo p : partitions == null ? List.<PartitionInfo>of() : partitions) {
            TopicPartition tp = new TopicPartition(p.topic(), p.partition());
            String runner = announced.entrySet().stream().filter(e -> e.getValue().running().contains(p.partition()))
                    .map(Map.Entry::getKey).findFirst().orElse(null);
            if (runner != null) {
                out.get(runner).add(tp);
            } else {
                free.add(tp);
            }
        }
        free.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        List<String> takers = members.keySet().stream().filter(id -> announced.get(id).freeSlots() > 0).toList();
        // Nobody free: spread them anyway; they stay paused until a host frees a slot and asks again.
        List<String> targets = takers.isEmpty() ? List.copyOf(members.keySet()) : takers;
        for (int i = 0; i < free.size() && !targets.isEmpty(); i++) {
            out.get(targets.get(i % targets.size())).add(free.get(i));
        }
        Map<String, Assignment> assignments = new HashMap<>();
        out.forEach((id, tps) -> assignments.put(id, new Assignment(tps)));
        return new GroupAssignment(assignments);
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        // JobTaker's rebalance listener does the work.
    }
}
