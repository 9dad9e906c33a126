package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.metrics.history.QueryParameterException;
import io.trainwatch.metrics.messaging.EventPublisher;
import io.trainwatch.metrics.persistence.RunDeleter;
import io.trainwatch.metrics.persistence.RunQueries;
import io.trainwatch.metrics.persistence.RunRow;
import io.trainwatch.metrics.persistence.RunStore;
import io.trainwatch.metrics.security.Access;
import io.trainwatch.metrics.security.AuditLog;
import io.trainwatch.metrics.security.Caller;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Runs: list and detail, and the HTTP ingest of run.started and run.finished, cancel and delete. */
@Path("/api/v1/runs")
@Tag(name = "runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunResource {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final List<String> STATUSES = RunRow.STATUSES;

    @Inject
    RunQueries queries;

    @Inject
    RunStore store;

    @Inject
    RunViews views;

    @Inject
    JsonBodies bodies;

    @Inject
    EventPublisher publisher;

    @Inject
    ObjectMapper mapper;

    @Inject
    AnalysisView analysis;

    @Inject
    HttpIngest ingest;

    @Inject
    Access access;

    @Inject
    AuditLog audit;

    @Inject
    RunDeleter deleter;

    @GET
    @Operation(summary = "Runs, newest first, filtered by status, project and tag; cursor pagination")
    public Uni<Response> list(@QueryParam("status") String status, @QueryParam("project") String project,
                              @QueryParam("tag") String tag, @QueryParam("limit") String limit,
                              @QueryParam("cursor") String cursor) {
        if (status != null && !STATUSES.contains(status)) {
            throw new QueryParameterException("status", "must be one of " + String.join(", ", STATUSES) + ", was \"" + status + "\"");
        }
        int pageSize = parseLimit(limit);
        Integer before = parseCursor(cursor);
        return queries.list(status, project, tag, before, pageSize, access.projectsOrNull()).map(rows -> {
            ObjectNode body = mapper.createObjectNode();
            ArrayNode runs = body.putArray("runs");
            for (int i = 0; i < Math.min(rows.size(), pageSize); i++) {
                runs.add(views.summary(rows.get(i)));
            }
            if (rows.size() > pageSize) {
                body.put("next_cursor", cursorOf(rows.get(pageSize - 1).runKey()));
            }
            return Response.ok(body).build();
        });
    }

    @POST
    @Operation(summary = "HTTP ingest of a run.started (validated, published to Kafka, stored by the consumer): 202 once "
            + "the run is readable, with its control state")
    public Uni<Response> start(byte[] body) {
        PostedEvent<RunStarted> posted = bodies.posted(bodies.parse(body), RunStarted.class, null, false).get(0);
        RunStarted started = posted.event();
        access.requireProject(started.project());
        if (started.monitor() != null) {
            try {
                io.trainwatch.analysis.AnalysisSettings.defaults().withOverrides(started.monitor().patience(),
                        started.monitor().minDelta(), started.monitor().thresholds());
            } catch (IllegalArgumentException e) {
                throw ProblemException.invalid(List.of(new ProblemException.FieldError("monitor", e.getMessage())));
            }
        }
        return ingest.accept(started.runId(), List.of(posted), URI.create("/api/v1/runs/" + started.runId()));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A run: status, progress, ETA, latest epoch, run.started details, headline analysis")
    public Uni<Response> get(@PathParam("id") String id) {
        return requireRun(id).chain(run -> Uni.combine().all()
                .unis(queries.latestEpoch(run), queries.recentEpochDurationMs(run.runKey()), analysis.headline(run))
                .asTuple()
                .map(t -> Response.ok(views.detail(run, t.getItem1().orElse(null), t.getItem2().orElse(null),
                        t.getItem3().orElse(null))).build()));
    }

    @POST
    @Path("{id}/finish")
    @Operation(summary = "HTTP ingest of a run.finished (cancelled or stopped_early ends a cancelling run): 202 with the "
            + "control state")
    public Uni<Response> finish(@PathParam("id") String id, byte[] body) {
        return ingest.accept(id, bodies.posted(bodies.parse(body), RunFinished.class, id, false), null);
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Ask the trainer to stop the run: publishes run.cancel-requested, the run shows `cancelling`")
    public Uni<Response> cancel(@PathParam("id") String id, byte[] body) {
        RunCancelRequested asked = bodies.events(bodies.parse(body), RunCancelRequested.class, id, false).get(0);
        // Who cancelled is the token's name, not what the client says it is (requested_by is only a claim).
        Caller caller = access.caller();
        // Every cancel has an id the trainer echoes in its run.finished; a client may choose it, else it is made here.
        RunCancelRequested request = new RunCancelRequested(asked.schemaVersion(), asked.runId(), asked.reason(),
                caller.name(), asked.requestedAt()).withCancelId(asked.cancelId() != null ? asked.cancelId()
                : "c-" + io.trainwatch.contracts.CloudEvents.newId());
        String remote = access.remoteAddress();
        return requireRun(id).chain(run -> {
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
                                ObjectNode answer = accepted(id, List.of(ceId));
                                answer.put("status", "cancelling");
                                answer.put("cancel_id", request.cancelId());
                                return Response.accepted(answer).build();
                            }))
                    .call(() -> audit.record(caller.name(), remote, "run.cancel", AuditLog.ALLOWED, id,
                            "reason: " + request.reason() + (asked.requestedBy() == null ? ""
                                    : "; client said requested_by " + asked.requestedBy())));
        });
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete a run with its epochs, steps, verdict and alerts (irreversible); a run still training "
            + "is cancelled first (reason `deleted`). SSE clients get status `deleted`; the insights topic a tombstone")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", description = "No such run (or one of a project the token may not see)",
            content = @Content(mediaType = ProblemMapper.PROBLEM_JSON))
    public Uni<Response> delete(@PathParam("id") String id) {
        // Scope (control) and project were checked by the filters, as for cancel; who deletes is the token's name.
        return deleter.delete(id, access.caller().name(), access.remoteAddress()).map(deleted -> {
            if (deleted.isEmpty()) {
                throw ProblemException.runNotFound(id);
            }
            return Response.noContent().build();
        });
    }

    private static ProblemException finishedConflict(RunRow run) {
        return new ProblemException(409, "run-finished", "Run already finished",
                "run \"" + run.id() + "\" already finished with status " + run.status() + "; there is nothing to cancel",
                List.of());
    }

    Uni<RunRow> requireRun(String id) {
        return queries.run(id).map(found -> found.orElseThrow(() -> ProblemException.runNotFound(id)));
    }

    private ObjectNode accepted(String runId, List<String> ceIds) {
        ObjectNode n = mapper.createObjectNode();
        n.put("run_id", runId);
        n.put("accepted", ceIds.size());
        ArrayNode ids = n.putArray("ce_ids");
        ceIds.forEach(ids::add);
        return n;
    }

    static int parseLimit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int v = Integer.parseInt(limit.trim());
            if (v < 1 || v > MAX_LIMIT) {
                throw new QueryParameterException("limit", "must be >= 1 and <= " + MAX_LIMIT + ", was " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new QueryParameterException("limit", "must be an integer, was \"" + limit + "\"");
        }
    }

    static String cursorOf(int runKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("k" + runKey).getBytes(StandardCharsets.UTF_8));
    }

    static Integer parseCursor(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor.trim()), StandardCharsets.UTF_8);
            if (text.startsWith("k")) {
                return Integer.parseInt(text.substring(1));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw new QueryParameterException("cursor", "must be a next_cursor value from a previous page");
    }
}
