package io.trainwatch.metrics.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.EventType;
import io.trainwatch.contracts.EventValidationException;
import io.trainwatch.contracts.Topics;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.store.EventEnvelope;
import io.trainwatch.metrics.store.RunStore;
import io.trainwatch.metrics.store.StoredBatch;
import io.trainwatch.metrics.store.StoredBatchListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Stores run events from {@code trainwatch.run-events.v1} (group {@code trainwatch-ingest}), a batch at a time.
 *
 * <p>Each record is decoded here, from bytes, so a record that breaks the contract (bad JSON, unknown ce_type, an
 * invalid field) goes to the dead-letter topic on its own, with its reason, while its neighbours are stored. The batch
 * is stored in one transaction; the returned Uni completes only after the commit, so the offset is committed only for
 * stored (or dead-lettered) records. A database that is away is waited for (retries with back-off), never
 * dead-lettered; a batch that fails for another reason is retried record by record, and only the records that still
 * fail are dead-lettered.
 */
// Created at start so that its meters are exported from the first scrape, not the first record.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class RunEventIngest {

    private static final Logger LOG = Logger.getLogger(RunEventIngest.class);

    private static final Set<EventType> RUN_EVENT_TYPES = Set.of(EventType.RUN_STARTED, EventType.EPOCH_COMPLETED,
            EventType.STEP_SAMPLED, EventType.RUN_HEARTBEAT, EventType.RUN_FINISHED);

    @Inject
    RunStore store;

    @Inject
    DeadLetters deadLetters;

    @Inject
    Instance<StoredBatchListener> listeners;

    private final Counter stored;
    private final io.micrometer.core.instrument.Timer storeTimer;
    private final io.micrometer.core.instrument.Timer decodeTimer;

    @Inject
    public RunEventIngest(MeterRegistry registry) {
        this.stored = Counter.builder("trainwatch.ingest.events").description("Run events stored (after commit)")
                .register(registry);
        this.storeTimer = io.micrometer.core.instrument.Timer.builder("trainwatch.ingest.store")
                .description("Time to store one batch (one transaction)").register(registry);
        this.decodeTimer = io.micrometer.core.instrument.Timer.builder("trainwatch.ingest.decode")
                .description("Time to decode one batch").register(registry);
    }

    @Inject
    AfterStoreLane lane;

    @Incoming("run-events")
    public Uni<Void> consume(ConsumerRecords<String, byte[]> records) {
        // Decoding is CPU work (tens of microseconds a record): a large batch is decoded off the event loop, split
        // over the cores, since the database waits while it is decoded. Chunks are joined in order, so partition
        // order is kept.
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(records.count());
        records.forEach(all::add);
        if (all.size() <= INLINE_DECODE_MAX) {
            // Live traffic: a few records, tens of microseconds each. Decoded here: a hop to a worker thread and back
            // cost more than that and added milliseconds to publish -> SSE at the 99th percentile.
            return deadLetterThenStore(decodeAll(all));
        }
        int chunks = all.size() < 2 * MIN_CHUNK ? 1 : Math.min(DECODE_THREADS, all.size() / MIN_CHUNK);
        List<Uni<DecodedBatch>> parts = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            List<ConsumerRecord<String, byte[]>> chunk = all.subList(c * all.size() / chunks, (c + 1) * all.size() / chunks);
            parts.add(Uni.createFrom().item(() -> decodeAll(chunk))
                    .runSubscriptionOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool()));
        }
        return Uni.join().all(parts).andFailFast().map(RunEventIngest::concat).chain(this::deadLetterThenStore);
    }

    private static final int MIN_CHUNK = 256;
    /** Batches up to this size are decoded on the calling thread (about 1 ms of CPU at most). */
    static final int INLINE_DECODE_MAX = 16;
    private static final int DECODE_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    private static DecodedBatch concat(List<DecodedBatch> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        List<Decoded> decoded = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> rejected = new ArrayList<>();
        List<EventValidationException> reasons = new ArrayList<>();
        for (DecodedBatch part : parts) {
            decoded.addAll(part.decoded());
            rejected.addAll(part.rejected());
            reasons.addAll(part.reasons());
        }
        return new DecodedBatch(decoded, rejected, reasons);
    }

    private record DecodedBatch(List<Decoded> decoded, List<ConsumerRecord<String, byte[]>> rejected,
                                List<EventValidationException> reasons) {
    }

    private DecodedBatch decodeAll(List<ConsumerRecord<String, byte[]>> records) {
        long decodeStart = System.nanoTime();
        List<Decoded> decoded = new ArrayList<>(records.size());
        List<ConsumerRecord<String, byte[]>> rejected = new ArrayList<>();
        List<EventValidationException> reasons = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                decoded.add(new Decoded(record, decode(record)));
            } catch (EventValidationException e) {
                rejected.add(record);
                reasons.add(e);
            }
        }
        decodeTimer.record(System.nanoTime() - decodeStart, java.util.concurrent.TimeUnit.NANOSECONDS);
        return new DecodedBatch(decoded, rejected, reasons);
    }

    private Uni<Void> deadLetterThenStore(DecodedBatch batch) {
        List<Decoded> decoded = batch.decoded();
        List<Uni<Void>> deadLettered = new ArrayList<>();
        for (int i = 0; i < batch.rejected().size(); i++) {
            deadLettered.add(deadLetters.send(batch.rejected().get(i), batch.reasons().get(i).getMessage(),
                    batch.reasons().get(i)));
        }
        Uni<Void> dlq = deadLettered.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(deadLettered).andFailFast().replaceWithVoid();
        return dlq.chain(() -> storeIsolated(decoded));
    }

    /**
     * Decodes one record: CloudEvents headers, then the data with the contracts codec. A bare {@code ce_type}
     * ({@code epoch.completed}, from producers built before the reverse-DNS prefix) is read like the prefixed one.
     */
    static EventEnvelope decode(ConsumerRecord<String, byte[]> record) {
        String ceId = header(record, CloudEvents.H_ID);
        if (ceId == null || ceId.isBlank()) {
            throw new EventValidationException(CloudEvents.H_ID, "is required (Kafka header)");
        }
        String ceType = header(record, CloudEvents.H_TYPE);
        if (ceType == null) {
            throw new EventValidationException(CloudEvents.H_TYPE, "is required (Kafka header)");
        }
        EventType type = EventType.fromCeType(ceType).filter(RUN_EVENT_TYPES::contains).orElseThrow(() ->
                new EventValidationException(CloudEvents.H_TYPE, "must be one of " + RUN_EVENT_TYPES.stream()
                        .map(EventType::ceType).sorted().collect(Collectors.joining(", ")) + " on " + Topics.RUN_EVENTS
                        + " (or the same without " + EventType.TYPE_PREFIX + "), was \"" + ceType + "\""));
        TrainwatchEvent event = EventCodec.instance().decode(record.value(), type.dataClass());
        String subject = header(record, CloudEvents.H_SUBJECT);
        if (subject != null && !subject.equals(event.runId())) {
            throw new EventValidationException(CloudEvents.H_SUBJECT, "must equal run_id \"" + event.runId()
                    + "\", was \"" + subject + "\"");
        }
        return new EventEnvelope(ceId, event);
    }

    private Uni<Void> storeIsolated(List<Decoded> decoded) {
        if (decoded.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<EventEnvelope> envelopes = decoded.stream().map(Decoded::envelope).toList();
        return storeWaitingForDatabase(envelopes)
                .onItem().transformToUni(batch -> afterStore(batch, envelopes.size()))
                .onFailure(StoreFailed.class).recoverWithUni(wrapped -> {
                    Throwable failure = wrapped.getCause();
                    if (decoded.size() == 1) {
                        Decoded d = decoded.get(0);
                        return deadLetters.send(d.record(), "storage: " + failure.getMessage(), failure);
                    }
                    LOG.warnf("batch of %d failed to store (%s); storing record by record", decoded.size(), failure.toString());
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (Decoded d : decoded) {
                        chain = chain.chain(() -> storeIsolated(List.of(d)));
                    }
                    return chain;
                });
    }

    private Uni<StoredBatch> storeWaitingForDatabase(List<EventEnvelope> envelopes) {
        long start = System.nanoTime();
        return store.store(envelopes)
                .invoke(() -> storeTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS))
                .onFailure(f -> !transientFailure(f)).transform(StoreFailed::new)
                .onFailure(RunEventIngest::transientFailure).invoke(f -> LOG.warnf("database unavailable, retrying: %s", f.toString()))
                .onFailure(RunEventIngest::transientFailure).retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5)).indefinitely();
    }

    private Uni<Void> afterStore(StoredBatch batch, int count) {
        stored.increment(count);
        return lane.submit(batch, this::runListeners);
    }

    /**
     * Runs the after-store steps again for runs whose rows are stored already (their analysis is rebuilt from the
     * stored history), in the same lane as live batches, so the two never overlap.
     */
    public Uni<Void> reanalyse(java.util.Collection<String> runIds) {
        if (runIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        StoredBatch replay = new StoredBatch(0, java.util.Map.of(), java.util.Map.of(), Set.of(), Set.copyOf(runIds));
        return lane.submit(replay, this::runListeners);
    }

    private Uni<Void> runListeners(StoredBatch batch) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (StoredBatchListener listener : listeners) {
            chain = chain.chain(() -> afterStoreStep(listener, batch, Duration.ofSeconds(5)));
        }
        return chain;
    }

    /**
     * One after-store step on a committed batch. The rows are committed: a failure is never a dead letter or a
     * redelivery. While the database is away the step waits and tries again (back-off up to {@code maxBackOff}), as
     * the store does: dropped, a run's verdict would stay behind its stored epochs until the run's next event (never,
     * for a run that has ended). Any other failure is logged and the step skipped.
     */
    static Uni<Void> afterStoreStep(StoredBatchListener listener, StoredBatch batch, Duration maxBackOff) {
        String step = listener.getClass().getSimpleName();
        return Uni.createFrom().deferred(() -> listener.stored(batch))
                .onFailure(RunEventIngest::transientFailure)
                .invoke(f -> LOG.warnf("after-store step %s: database unavailable, retrying: %s", step, f.toString()))
                .onFailure(RunEventIngest::transientFailure).retry()
                .withBackOff(Duration.ofMillis(Math.min(100, maxBackOff.toMillis())), maxBackOff).indefinitely()
                .onFailure().recoverWithItem(f -> {
                    LOG.errorf(f, "after-store step %s failed", step);
                    return null;
                });
    }

    /** A storage failure that waiting will not cure. */
    private static final class StoreFailed extends RuntimeException {
        StoreFailed(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** Connection trouble, deadlocks, resource exhaustion: worth waiting for rather than dead-lettering. */
    static boolean transientFailure(Throwable failure) {
        return io.trainwatch.metrics.store.DatabaseFailures.isTransient(failure);
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private record Decoded(ConsumerRecord<String, byte[]> record, EventEnvelope envelope) {
    }
}
