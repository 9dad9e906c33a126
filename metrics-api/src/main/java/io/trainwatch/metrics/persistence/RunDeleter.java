package io.trainwatch.metrics.persistence;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.messaging.EventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Deletes runs for every surface (REST, MCP, retention): a run that may still be training is cancelled first (the
 * trainer stops; its late events are dropped by ingest), then the run and everything stored for it go in one
 * transaction ({@link RunDeletion}), SSE clients get status {@code deleted}, and the insights topic a tombstone.
 */
@ApplicationScoped
public class RunDeleter {

    public static final String CANCEL_REASON = "deleted";

    private static final Logger LOG = Logger.getLogger(RunDeleter.class);

    @Inject
    RunQueries queries;

    @Inject
    RunDeletion deletion;

    @Inject
    EventPublisher publisher;

    /** Deletes one run; empty when it does not exist. {@code requestedBy} is recorded on the cancel, if one is sent. */
    public Uni<Optional<RunDeletion.Deleted>> delete(String runId, String requestedBy) {
        return queries.run(runId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<RunDeletion.Deleted>empty());
            }
            Uni<Void> cancelled = found.get().finished() ? Uni.createFrom().voidItem()
                    : publisher.publish(new RunCancelRequested(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId,
                            CANCEL_REASON, requestedBy, Instant.now(), "c-" + CloudEvents.newId())).replaceWithVoid();
            return cancelled.chain(() -> deleteStored(List.of(runId)))
                    .map(deleted -> deleted.isEmpty() ? Optional.empty() : Optional.of(deleted.get(0)));
        });
    }

    /** Deletes finished runs (retention): no cancel needed. Returns those deleted. */
    public Uni<List<RunDeletion.Deleted>> deleteFinished(List<String> runIds) {
        return deleteStored(runIds);
    }

    private Uni<List<RunDeletion.Deleted>> deleteStored(List<String> runIds) {
        return deletion.delete(runIds).call(deleted -> Multi.createFrom().iterable(deleted)
                .onItem().transformToUniAndMerge(d -> publisher.tombstone(d.id())
                        // The run is deleted either way; a lost tombstone only leaves its last verdict on the topic.
                        .onFailure().invoke(f -> LOG.warnf("insights tombstone for deleted run %s not published: %s",
                                d.id(), f.toString()))
                        .onFailure().recoverWithNull())
                .collect().last());
    }
}
