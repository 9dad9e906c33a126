package io.trainwatch.metrics.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.metrics.publish.TopicPublisher;
import io.trainwatch.metrics.read.RunReads;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.security.Access;
import io.trainwatch.metrics.security.AuditLog;
import io.trainwatch.metrics.security.Caller;
import io.trainwatch.metrics.store.RunDeleter;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.store.RunStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;

/**
 * What a caller may do to a run, whichever adapter it came through (REST or MCP): cancel it and delete it. The
 * caller is the request's token (scope and project were checked by the adapter); both commands are audited.
 */
@ApplicationScoped
public class RunCommands {

    @Inject
    RunReads reads;

    @Inject
    RunStore store;

    @Inject
    RunDeleter deleter;

    @Inject
    TopicPublisher publisher;

    @Inject
    Access access;

    @Inject
    AuditLog audit;

    @Inject
    ObjectMapper mapper;

    /**
     * Publishes the cancel for the trainer and marks the run {@code cancelling}; yields the 202 answer (run_id,
     * accepted, ce_ids, status, cancel_id). A finished run is a 409 problem, an unknown one a 404.
     */
    public Uni<ObjectNode> cancel(String id, RunCancelRequested asked) {
        // Who cancelled is the token's name, not what the client says it is (requested_by is only a claim).
        Caller caller = access.caller();
        // Every cancel has an id the trainer echoes in its run.finished; a client may choose it, else it is made here.
        RunCancelRequested request = new RunCancelRequested(asked.schemaVersion(), asked.runId(), asked.reason(),
                caller.name(), asked.requestedAt()).withCancelId(asked.cancelId() != null ? asked.cancelId()
                : "c-" + CloudEvents.newId());
        String remote = access.remoteAddress();
        return reads.requireRun(id).chain(run -> {
            if (run.finished()) {
                throw finishedConflict(run);
            }
            return publisher.publish(request)
                    .chain(ceId -> store.markCancelling(id, request.reason(), request.requestedBy())
                            .map(marked -> {
                                if (!marked) {
                                    // run.finished was stored between our check and our update: the trainer won.
                                    throw finishedConflict(run);
                                }
                                ObjectNode answer = mapper.createObjectNode();
                                answer.put("run_id", id);
                                answer.put("accepted", 1);
                                ArrayNode ids = answer.putArray("ce_ids");
                                ids.add(ceId);
                                answer.put("status", "cancelling");
                                answer.put("cancel_id", request.cancelId());
                                return answer;
                            }))
                    .call(() -> audit.record(caller.name(), remote, "run.cancel", AuditLog.ALLOWED, id,
                            "reason: " + request.reason() + (asked.requestedBy() == null ? ""
                                    : "; client said requested_by " + asked.requestedBy())));
        });
    }

    /** Deletes the run (cancelling it first if it still trains); a 404 problem if there is none. */
    public Uni<Void> delete(String id) {
        return deleter.delete(id, access.caller().name(), access.remoteAddress()).map(deleted -> {
            if (deleted.isEmpty()) {
                throw ProblemException.runNotFound(id);
            }
            return null;
        });
    }

    private static ProblemException finishedConflict(RunRow run) {
        return new ProblemException(409, "run-finished", "Run already finished",
                "run \"" + run.id() + "\" already finished with status " + run.status() + "; there is nothing to cancel",
                List.of());
    }
}
