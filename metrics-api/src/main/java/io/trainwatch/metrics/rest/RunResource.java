package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunHeartbeat;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.metrics.command.RunCommands;
import io.trainwatch.metrics.read.QueryParameterException;
import io.trainwatch.metrics.read.RunReads;
import io.trainwatch.metrics.read.RunViews;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.security.Access;
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
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Runs: list and detail, and the HTTP ingest of run.started, run.heartbeat and run.finished, cancel and delete. */
@Path("/api/v1/runs")
@Tag(name = "runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunResource {

    static final String EXAMPLE_PAGE = "{\"runs\": [{\"run_id\": \"r-42\", \"status\": \"running\", "
            + "\"name\": \"spirals-mlp\", \"project\": \"demo\", \"tags\": [\"baseline\"], \"total_epochs\": 40, "
            + "\"latest_epoch\": 12, \"epochs_recorded\": 13, \"progress_percent\": 32.5, "
            + "\"started_at\": \"2026-01-01T00:00:00Z\", \"created_at\": \"2026-01-01T00:00:00.1Z\", "
            + "\"updated_at\": \"2026-01-01T00:04:00Z\"}], \"next_cursor\": \"azQx\"}";
    static final String EXAMPLE_RUN = "{\"run_id\": \"r-42\", \"status\": \"running\", \"name\": \"spirals-mlp\", "
            + "\"project\": \"demo\", \"total_epochs\": 40, \"latest_epoch\": 12, \"epochs_recorded\": 13, "
            + "\"progress_percent\": 32.5, \"device\": \"cpu\", \"model\": {\"architecture\": \"mlp\"}, "
            + "\"eta_seconds\": 54.6, \"steps_recorded\": 0, \"latest\": {\"epoch\": 12, \"train_loss\": 0.39, "
            + "\"val_loss\": \"NaN\"}, \"analysis\": {\"epoch\": 12, \"best_epoch\": 11, \"best_val_loss\": 0.52, "
            + "\"epochs_since_improvement\": 1, \"recommendation\": {\"action\": \"continue\", \"confidence\": 0.6, "
            + "\"reason\": \"validation loss is still improving\", \"evidence\": []}}}";
    static final String EXAMPLE_ACCEPTED = "{\"run_id\": \"r-42\", \"accepted\": 1, "
            + "\"ce_ids\": [\"7f0c5e2a-3b1d-4c36-9a53-0d9b1c2e4f10\"], \"control\": {\"cancel_requested\": false, "
            + "\"reason\": null, \"requested_by\": null, \"status\": \"running\"}}";
    static final String EXAMPLE_CANCELLING = "{\"run_id\": \"r-42\", \"accepted\": 1, "
            + "\"ce_ids\": [\"7f0c5e2a-3b1d-4c36-9a53-0d9b1c2e4f10\"], \"status\": \"cancelling\", "
            + "\"cancel_id\": \"c-3f1e0b7a\"}";

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final List<String> STATUSES = RunRow.STATUSES;

    @Inject
    RunQueries queries;

    @Inject
    RunViews views;

    @Inject
    JsonBodies bodies;

    @Inject
    ObjectMapper mapper;

    @Inject
    HttpIngest ingest;

    @Inject
    Access access;

    @Inject
    RunReads reads;

    @Inject
    RunCommands commands;

    @GET
    @Operation(operationId = "listRuns", summary = "List runs, newest first",
            description = "Filtered by status, project and tag; pages with an opaque cursor.")
    @APIResponse(responseCode = "200", description = "A page of runs", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "RunPage"),
            examples = @ExampleObject(name = "page", value = EXAMPLE_PAGE)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    public Uni<Response> list(
            @Parameter(description = "Only runs with this status", schema = @Schema(ref = "RunStatus"))
            @QueryParam("status") String status,
            @Parameter(description = "Exact project name") @QueryParam("project") String project,
            @Parameter(description = "Runs carrying this tag") @QueryParam("tag") String tag,
            @Parameter(description = "Page size", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "500", defaultValue = "50")) @QueryParam("limit") String limit,
            @Parameter(description = "The next_cursor of the previous page") @QueryParam("cursor") String cursor) {
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
    @Operation(operationId = "startRun", summary = "Start a run (HTTP ingest of a run.started)",
            description = "Validated with the contracts codec and published to Kafka; the consumer stores it. 202 once "
                    + "Kafka has acknowledged: the run is visible a few milliseconds later.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "RunStartedBody")))
    @APIResponse(responseCode = "202", description = "Published to Kafka, and the run is readable", headers = @Header(name = "Location",
            description = "/api/v1/runs/{id}", schema = @Schema(type = SchemaType.STRING)), content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "IngestAccepted"),
            examples = @ExampleObject(name = "accepted", value = EXAMPLE_ACCEPTED)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "413", ref = "RequestTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    @APIResponse(responseCode = "503", ref = "Unavailable")
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
    @Operation(operationId = "getRun", summary = "Get a run",
            description = "Status, progress, ETA, the latest epoch, the run.started details and the verdict's headline.")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "RunDetail"),
            examples = @ExampleObject(name = "running", value = EXAMPLE_RUN)))
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> get(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id) {
        return reads.detail(id).map(detail -> Response.ok(detail).build());
    }

    @POST
    @Path("{id}/finish")
    @Operation(operationId = "finishRun", summary = "Finish a run (HTTP ingest of a run.finished)")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "RunFinishedBody")))
    @APIResponse(responseCode = "202", description = "Published to Kafka, and the run is readable", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "IngestAccepted"),
            examples = @ExampleObject(name = "accepted", value = EXAMPLE_ACCEPTED)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "413", ref = "RequestTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    public Uni<Response> finish(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id, byte[] body) {
        return ingest.accept(id, bodies.posted(bodies.parse(body), RunFinished.class, id, false), null);
    }

    @POST
    @Path("{id}/heartbeat")
    @Operation(operationId = "heartbeatRun", summary = "Say that a run's trainer is alive (HTTP ingest of a run.heartbeat)",
            description = "For epochs longer than the run's liveness limit: refreshes the run's liveness only (no "
                    + "epoch is stored), and a stalled run is running again. The body may be empty or {} "
                    + "(Content-Type application/json either way). 404 for a run not stored yet.")
    @RequestBody(required = false, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "RunHeartbeatBody")))
    @APIResponse(responseCode = "202", description = "Published to Kafka", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "IngestAccepted"),
            examples = @ExampleObject(name = "accepted", value = EXAMPLE_ACCEPTED)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    @APIResponse(responseCode = "413", ref = "RequestTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    public Uni<Response> heartbeat(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id, byte[] body) {
        List<PostedEvent<RunHeartbeat>> posted = body == null || body.length == 0
                ? List.of(new PostedEvent<>(RunHeartbeat.of(id), null))
                : bodies.posted(bodies.parse(body), RunHeartbeat.class, id, false);
        return reads.requireRun(id).chain(run -> ingest.accept(id, posted, null));
    }

    @POST
    @Path("{id}/cancel")
    @Operation(operationId = "cancelRun", summary = "Cancel a run",
            description = "Publishes run.cancel-requested for the trainer; the run shows `cancelling` until the "
                    + "trainer's run.finished arrives. A repeated cancel of a cancelling run is accepted again.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "RunCancelRequestedBody")))
    @APIResponse(responseCode = "202", description = "Published to the control topic; the run is cancelling",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "CancelAccepted"),
                    examples = @ExampleObject(name = "cancelling", value = EXAMPLE_CANCELLING)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    @APIResponse(responseCode = "409", ref = "RunFinished")
    @APIResponse(responseCode = "413", ref = "RequestTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    public Uni<Response> cancel(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id, byte[] body) {
        RunCancelRequested asked = bodies.events(bodies.parse(body), RunCancelRequested.class, id, false).get(0);
        return commands.cancel(id, asked).map(answer -> Response.accepted(answer).build());
    }

    @DELETE
    @Path("{id}")
    // 204 has no body: only a problem can come back, so a client accepting only problem+json (what a generated client
    // sends here) must not get a 406.
    @Produces({MediaType.APPLICATION_JSON, ProblemMapper.PROBLEM_JSON})
    @Operation(operationId = "deleteRun", summary = "Delete a run",
            description = "Deletes the run with its epochs, steps, verdict and alerts (irreversible); a run still "
                    + "training is cancelled first (reason `deleted`). SSE clients get a status event with status "
                    + "`deleted` (DeletedEvent); the insights topic a tombstone. Audited as run.delete.")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> delete(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId"))
                                @PathParam("id") String id) {
        // Scope (control) and project were checked by the filters, as for cancel; who deletes is the token's name.
        return commands.delete(id).map(ignored -> Response.noContent().build());
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
