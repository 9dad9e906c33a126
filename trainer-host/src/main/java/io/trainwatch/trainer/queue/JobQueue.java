package io.trainwatch.trainer.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.TrainerHost;
import io.trainwatch.trainer.messaging.KafkaSettings;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.training.JobManager;
import io.trainwatch.trainer.training.JobStatus;
import io.trainwatch.trainer.training.JobView;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The submitting side of the job queue: checks a job as far as this host can (spec, device, data), gives it its run
 * id and puts it on the job topic, where the first host with a free slot takes it. Remembers the jobs submitted here
 * so that GET and DELETE on this host work before (and whether or not) this host is the one that trains them.
 */
@ApplicationScoped
public class JobQueue {

    private static final Logger LOG = Logger.getLogger(JobQueue.class);
    /** Jobs submitted here that GET can still show as queued. */
    private static final int REMEMBERED = 1000;

    /** Kafka did not take the job in time; maps to 503. */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message);
        }
    }

    @Inject
    TrainerConfig config;

    @Inject
    JobManager jobs;

    @Inject
    KafkaSettings kafka;

    private final Map<String, JobView> submitted = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JobView> eldest) {
            return size() > REMEMBERED;
        }
    };
    private KafkaProducer<String, byte[]> producer;
    private JobPartitions partitions;

    /**
     * Queues the job (or, with the queue off, hands it to this host's {@link JobManager}).
     *
     * @param body the request body as submitted, which travels with the job
     * @throws UnavailableException when Kafka does not store the job within {@code trainwatch.queue.send-timeout}
     */
    public JobView submit(JobSpec spec, JsonNode body) {
        if (!config.queue().enabled()) {
            return jobs.submit(spec);
        }
        JobManager.check(spec); // a bad device or data file is the submitter's 422, not a failure on some other host
        String runId = "run-" + UUID.randomUUID();
        Instant now = Instant.now();
        send(new ProducerRecord<>(Topics.JOBS, partitions().leastBusy(), runId,
                new JobMessage(runId, body, now, TrainerHost.INSTANCE_ID).encode()), "job " + runId);
        JobView view = new JobView(runId, spec.name(), spec.project(), spec.preset(), JobStatus.QUEUED, null, 0, spec.epochs(), 0,
                null, null, null, now, null, null, spec);
        synchronized (submitted) {
            submitted.put(runId, view);
        }
        LOG.infof("job %s (%s) queued on %s", runId, spec.name(), Topics.JOBS);
        return view;
    }

    /** A job submitted here that this host has not trained: it waits in the queue or another host took it. */
    public Optional<JobView> submittedElsewhere(String runId) {
        if (jobs.owns(runId)) {
            return Optional.empty();
        }
        synchronized (submitted) {
            return Optional.ofNullable(submitted.get(runId));
        }
    }

    /**
     * Asks whichever host has or will take the run to cancel it: a cancel on the control topic, which every host
     * reads; a host that takes the job later skips it ({@link QueuedCancels}).
     */
    public void cancelElsewhere(String runId, String reason, String requestedBy) {
        RunCancelRequested cancel = new RunCancelRequested(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId, reason, requestedBy, Instant.now());
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.RUN_CONTROL, runId, EventCodec.instance().encode(cancel));
        CloudEvents.headers(cancel, CloudEvents.newId(), TrainerHost.source(), cancel.requestedAt())
                .forEach((k, v) -> r.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
        send(r, "cancel of " + runId);
    }

    private void send(ProducerRecord<String, byte[]> record, String what) {
        long timeoutMs = config.queue().sendTimeout().toMillis();
        try {
            producer().send(record).get(timeoutMs + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while Kafka stored the " + what);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("%s: Kafka did not store it: %s", what, e.getCause() == null ? e : e.getCause());
            throw new UnavailableException("Kafka did not store the " + what + " within " + timeoutMs
                    + " ms (trainwatch.queue.send-timeout); try again later");
        }
    }

    private synchronized JobPartitions partitions() {
        if (partitions == null) {
            partitions = new JobPartitions(kafka, Topics.JOBS, Topics.JOB_TAKERS_GROUP);
        }
        return partitions;
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            // Fixed: a job or cancel is stored once (idempotent, acks=all) or the submit fails within
            // trainwatch.queue.send-timeout; Kafka refuses a delivery timeout below linger + request timeout.
            Map<String, Object> c = new HashMap<>();
            c.put(ProducerConfig.CLIENT_ID_CONFIG, "trainwatch-job-queue-" + TrainerHost.INSTANCE_ID);
            c.put(ProducerConfig.ACKS_CONFIG, "all");
            c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.queue().sendTimeout().toMillis());
            c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            // The producer gives up when the submit does: a job answered with 503 must not be stored later.
            long sendMs = config.queue().sendTimeout().toMillis();
            c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, sendMs / 2));
            c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(1000, sendMs));
            c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(kafka.client(Map.of(), c));
        }
        return producer;
    }

    @PreDestroy
    synchronized void close() {
        if (partitions != null) {
            partitions.close();
        }
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(2));
        }
    }
}
