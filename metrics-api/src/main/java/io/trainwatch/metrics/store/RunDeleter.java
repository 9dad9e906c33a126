package io.trainwatch.metrics.store;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.TrainwatchEvent;
import io.trainwatch.metrics.publish.TopicPublisher;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.security.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Deletes runs for every surface (REST, MCP through REST, retention): a run that may still be training is cancelled
 * first (the trainer stops; its late events are dropped by ingest), then the run and everything stored for it go in
 * one transaction ({@link RunDeletion}), SSE clients get status {@code deleted}, the insights topic a tombstone, and
 * the audit log an entry naming who deleted it.
 */
@ApplicationScoped
public class RunDeleter {

    public static final String CANCEL_REASON = "deleted";
    /** The audit action of every deletion. */
    public static final String AUDIT_ACTION = "run.delete";
    /** The audit principal of retention's deletions. */
    public static final String RETENTION_PRINCIPAL = "(retention)";

    private static final Logger LOG = Logger.getLogger(RunDeleter.class);

    @Inject
    RunQueries queries;

    @Inject
    RunDeletion deletion;

    @Inject
    TopicPublisher publisher;

    @Inject
    AuditLog audit;

    /**
     * Deletes one run on behalf of {@code principal} (the caller's token name: recorded on the cancel, if one is sent,
     * and in the audit log). Answers the run as it was, empty when it does not exist (or another request deleted it
     * first; nothing is audited then).
     */
    public Uni<Optional<RunRow>> delete(String runId, String principal, String remoteAddress) {
        return queries.run(runId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<RunRow>empty());
            }
            RunRow run = found.get();
            Uni<Void> cancelled = run.finished() ? Uni.createFrom().voidItem()
                    : publisher.publish(new RunCancelRequested(TrainwatchEvent.CURRENT_SCHEMA_VERSION, runId,
                            CANCEL_REASON, principal, Instant.now(), "c-" + CloudEvents.newId())).replaceWithVoid();
            return cancelled.chain(() -> deleteStored(List.of(runId)))
                    .chain(deleted -> deleted.isEmpty() ? Uni.createFrom().item(Optional.<RunRow>empty())
                            : audit.record(principal, remoteAddress, AUDIT_ACTION, AuditLog.ALLOWED, runId, detail(run))
                                    .replaceWith(Optional.of(run)));
        });
    }

    /** Deletes finished runs (retention): no cancel needed; each is audited. Returns those deleted. */
    public Uni<List<RunDeletion.Deleted>> deleteFinished(List<String> runIds) {
        return deleteStored(runIds).call(deleted -> Multi.createFrom().iterable(deleted)
                .onItem().transformToUniAndConcatenate(d -> audit.record(RETENTION_PRINCIPAL, null, AUDIT_ACTION,
                        AuditLog.ALLOWED, d.id(), "finished longer ago than the retention"
                                + (d.project() == null ? "" : " of project " + d.project())))
                .collect().last());
    }

    static String detail(RunRow run) {
        return "status " + run.status() + (run.finished() ? "" : ", cancelled first (reason " + CANCEL_REASON + ")")
                + (run.project() == null ? "" : "; project " + run.project());
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
