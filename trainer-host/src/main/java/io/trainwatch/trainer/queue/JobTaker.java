package io.trainwatch.trainer.queue;

import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStatus;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.messaging.KafkaSettings;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import io.trainwatch.trainer.training.JobRunner;
import io.trainwatch.trainer.training.JobView;
import io.trainwatch.trainer.training.RunEventSink;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The taking side of the job queue, on its own thread: one consumer in the group every trainer host shares. It reads
 * a job only while this host has a free slot, and it keeps a job's offset uncommitted until the job ends, so a job
 * whose host dies is delivered again. Taking a job first commits its own offset with a "taken" note (attempt, run
 * id, host); the host that receives that job again reads the note, ends the lost attempt {@code failed} ("host lost")
 * and starts attempt n+1 as run {@code <run_id>-a<n>}, up to {@code trainwatch.queue.max-attempts}.
 */
public final class JobTaker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobTaker.class);
    private static final Pattern TAKEN = Pattern.compile("taken attempt=(\\d+) run=(\\S+) by=(\\S+)");

    private record Ended(TopicPartition partition, long offset) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final TakerState state;
    private final JobRunner jobs;
    private final QueuedCancels cancels;
    private final RunEventSink events;
    private final int maxAttempts;
    private final String instanceId;
    private final Path dataRoot;
    private final Queue<Ended> ended = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean assigned;

    /**
     * @param topic the job topic ({@link Topics#JOBS}; tests use their own)
     * @param group the consumer group every host shares ({@link Topics#JOB_TAKERS_GROUP})
     * @param dataRoot this host's {@code trainwatch.trainer.data-root}: dataset files must lie inside it
     */
    public JobTaker(KafkaSettings kafka, String topic, String group, Duration sessionTimeout, int maxAttempts, String instanceId,
                    Path dataRoot, JobRunner jobs, QueuedCancels cancels, RunEventSink events) {
        this.dataRoot = dataRoot;
        this.state = new TakerState(topic, jobs::freeSlots);
        this.jobs = jobs;
        this.cancels = cancels;
        this.events = events;
        this.maxAttempts = maxAttempts;
        this.instanceId = instanceId;
        // Fixed, all but the reconnect back-off: the queue's guarantees rest on them (one shared group, its own
        // assignor, offsets committed by hand at a job's end, one job per poll, the session timeout of
        // trainwatch.queue.session-timeout).
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "trainwatch-job-taker-" + instanceId);
        // The classic protocol: the only one whose assignment a client-side assignor decides.
        c.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, JobAssignor.class.getName());
        c.put(TakerState.CONFIG_KEY, state);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, sessionTimeout.toMillis() / 4));
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(kafka.client(Map.of(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000), c));
        this.thread = new Thread(this::loop, "trainwatch-job-taker");
        thread.setDaemon(true);
        thread.start();
    }

    /** True once the group has given this host its first assignment. */
    public boolean joined() {
        return assigned;
    }

    private void loop() {
        try {
            consumer.subscribe(List.of(state.topic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    // This host fell out of the group (silent for longer than the session timeout): another host may
                    // already run these jobs again. Nothing to commit for them any more.
                    for (TopicPartition tp : partitions) {
                        if (state.isRunning(tp.partition())) {
                            LOG.warnf("job partition %s lost while its job ran here: another host may run the job again", tp);
                            state.done(tp.partition());
                        }
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    // Before this poll returns anything: a partition whose job runs here sits at that job's offset.
                    pauseBusy(state.freeSlots() > 0);
                    assigned = true;
                }
            });
            boolean hadFree = state.freeSlots() > 0;
            while (running) {
                commitEnded();
                boolean hasFree = state.freeSlots() > 0;
                if (hasFree != hadFree) {
                    // Full: let the group give this host's idle partitions to others. Free again: ask for some back.
                    hadFree = hasFree;
                    consumer.enforceRebalance("free slots " + (hasFree ? "now" : "none"));
                }
                pauseBusy(hasFree);
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    take(r);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.errorf(e, "job taker woken up unexpectedly");
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "job taker stopped: %s", e.getMessage());
        } finally {
            try {
                commitEnded(); // jobs that ended at shutdown leave the queue
            } catch (RuntimeException e) {
                LOG.warnf("job taker: final commits failed (%s); those jobs will be delivered again", e.getMessage());
            }
            assigned = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void pauseBusy(boolean hasFree) {
        for (TopicPartition tp : consumer.assignment()) {
            if (!hasFree || state.isRunning(tp.partition())) {
                consumer.pause(List.of(tp));
            } else {
                consumer.resume(List.of(tp));
            }
        }
    }

    private void take(ConsumerRecord<String, byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        long offset = r.offset();
        JobMessage job;
        try {
            job = JobMessage.decode(r.value());
        } catch (RuntimeException e) {
            LOG.warnf("job topic %s@%d: skipped an unreadable job (%s)", tp, offset, e.getMessage());
            commit(tp, offset + 1, "");
            return;
        }
        int attempt = 1;
        String lostRun = null;
        String lostHost = null;
        OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
        if (committed != null && committed.offset() == offset) {
            Matcher m = TAKEN.matcher(committed.metadata());
            if (m.matches()) {
                // Taken before and never finished: the group gives a running job's partition only to its own
                // host while that host lives, so its host is gone.
                attempt = Integer.parseInt(m.group(1)) + 1;
                lostRun = m.group(2);
                lostHost = m.group(3);
            }
        }
        String runId = attempt == 1 ? job.runId() : job.runId() + "-a" + attempt;
        if (attempt > maxAttempts) {
            commit(tp, offset + 1, "");
            finishLost(lostRun, lostHost, "not retried: " + maxAttempts + " attempts made (trainwatch.queue.max-attempts)");
            return;
        }
        state.running(tp.partition());
        if (!commit(tp, offset, "taken attempt=" + attempt + " run=" + runId + " by=" + instanceId)) {
            // Not ours any more (a rebalance: its next owner takes it), or Kafka slow: read it again if still ours.
            state.done(tp.partition());
            if (consumer.assignment().contains(tp)) {
                consumer.seek(tp, offset);
            }
            return;
        }
        consumer.pause(List.of(tp));
        if (lostRun != null) {
            finishLost(lostRun, lostHost, "retried as " + runId);
        }
        try {
            // Parsed again under this host's data root: a dataset file must be inside it here too.
            JobSpec spec = JobSpecParser.parse(job.spec(), dataRoot);
            Consumer<JobView> onEnd = view -> ended.add(new Ended(tp, offset));
            Optional<RunCancelRequested> cancelled = cancels.take(job.runId());
            if (cancelled.isPresent()) {
                // Cancelled while it waited in the queue: it ends here without training.
                jobs.submitCancelled(spec, runId, cancelled.get().reason(), cancelled.get().requestedBy(), onEnd);
                LOG.infof("took job %s from %s@%d, cancelled while it waited", runId, tp, offset);
                return;
            }
            jobs.submit(spec, runId, onEnd);
            LOG.infof("took job %s from %s@%d (attempt %d)", runId, tp, offset, attempt);
        } catch (RuntimeException e) {
            // Checked on the submitting host, so this host differs (no such device, data not here): end it visibly.
            LOG.errorf("job %s from %s@%d cannot start here: %s", runId, tp, offset, e.getMessage());
            events.publish(new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, RunStatus.FAILED,
                    "could not start on trainer host " + instanceId + ": " + e.getMessage(), 0, null, Instant.now()));
            ended.add(new Ended(tp, offset));
            return;
        }
        // A cancel that came while the job was being taken: it stops at its first batch.
        cancels.take(job.runId()).ifPresent(c -> jobs.cancel(runId, c.reason(), c.requestedBy()));
    }

    private void finishLost(String lostRun, String lostHost, String outcome) {
        LOG.warnf("job run %s was lost with trainer host %s; %s", lostRun, lostHost, outcome);
        events.publish(new RunFinished(TrainwatchEvent.CURRENT_SCHEMA_VERSION, lostRun, RunStatus.FAILED,
                "host lost: trainer host " + lostHost + " stopped while training it; " + outcome, null, null, Instant.now()));
    }

    /** Commits the offsets after ended jobs, so they leave the queue; keeps the ones that fail for the next round. */
    private void commitEnded() {
        for (Ended e; (e = ended.peek()) != null; ) {
            if (!consumer.assignment().contains(e.partition())) {
                if (state.isRunning(e.partition().partition())) {
                    return; // between two halves of a rebalance: the assignor gives it back to this host
                }
                LOG.warnf("job at %s@%d ended after its partition was lost: it may run again elsewhere", e.partition(), e.offset());
            } else if (!commit(e.partition(), e.offset() + 1, "")) {
                return;
            } else {
                consumer.seek(e.partition(), e.offset() + 1);
            }
            state.done(e.partition().partition());
            ended.poll();
        }
    }

    private boolean commit(TopicPartition tp, long offset, String metadata) {
        try {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset, metadata)));
            return true;
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.infof("job taker: commit of %s@%d failed (%s); will retry", tp, offset, e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
