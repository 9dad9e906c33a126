package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.Limits;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.metrics.read.HistoryQuery;
import io.trainwatch.metrics.read.HistoryResponses;
import io.trainwatch.metrics.read.StepRow;
import io.trainwatch.metrics.read.RunQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
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
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A run's sampled steps, with the same query rules as its epochs (since_step instead of since_epoch); and their HTTP ingest. */
@Path("/api/v1/runs/{id}/steps")
@Tag(name = "metrics")
public class RunStepsResource {

    @Schema(ref = "StepSampledBody")
    interface StepBody {
    }

    @Schema(type = SchemaType.ARRAY, minItems = 1, maxItems = Limits.MAX_EVENTS_PER_REQUEST, implementation = StepBody.class)
    interface StepBodies {
    }

    static final String EXAMPLE = "{\"run_id\": \"r-42\", \"count\": 1, \"downsampled\": false, \"steps\": ["
            + "{\"global_step\": 1200, \"epoch\": 3, \"loss\": 0.47, \"learning_rate\": 0.001}]}";

    @Inject
    RunQueries queries;

    @Inject
    HistoryResponses responses;

    @Inject
    JsonBodies bodies;

    @Inject
    HttpIngest ingest;

    @GET
    @Produces({MediaType.APPLICATION_JSON, HistoryResponses.CSV})
    @Operation(operationId = "getRunSteps", summary = "Get a run's sampled steps",
            description = "The same rules as the epoch history, by global step (since_step).")
    @APIResponse(responseCode = "200", description = "The history, ascending",
            headers = {@Header(name = "ETag", description = "Strong; send it back as If-None-Match",
                    schema = @Schema(type = SchemaType.STRING)),
                    @Header(name = "Cache-Control", schema = @Schema(type = SchemaType.STRING))},
            content = {@Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "StepHistory"),
                    examples = @ExampleObject(name = "incremental", value = EXAMPLE)),
                    @Content(mediaType = HistoryResponses.CSV, schema = @Schema(type = SchemaType.STRING,
                            description = "RFC 4180: a header row, one line per point, maps flattened to name.key"))})
    @APIResponse(responseCode = "304", description = "Not modified: the If-None-Match ETag is current",
            headers = @Header(name = "ETag", schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> steps(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id,
            @Parameter(description = "Only steps whose global_step is greater than this", schema = @Schema(type = SchemaType.INTEGER))
            @QueryParam("since_step") String sinceStep,
            @Parameter(description = "Comma list of fields to return (default: every field)")
            @QueryParam("fields") String fields,
            @Parameter(description = "Downsample to at most this many points (first, last, minima, maxima kept)",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "2", maximum = "100000"))
            @QueryParam("max_points") String maxPoints,
            @Parameter(description = "json (default) or csv", schema = @Schema(enumeration = {"json", "csv"}))
            @QueryParam("format") String format,
            @Parameter(description = "An ETag of a previous answer: 304 while nothing changed")
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        HistoryQuery query = HistoryQuery.parse("since_step", sinceStep, fields, maxPoints, format, StepRow.FIELDS);
        return responses.conditional("steps", id, "global_step", query, ifNoneMatch, queries::steps);
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "postRunSteps", summary = "Report sampled steps (HTTP ingest of step.sampled)",
            description = "One step.sampled or an array of them (at most 1,000), published to Kafka in order; 202 "
                    + "once the run is readable, with its control state.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {StepBody.class, StepBodies.class})))
    @APIResponse(responseCode = "202", description = "Published to Kafka, and the run is readable", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "IngestAccepted"),
            examples = @ExampleObject(name = "accepted", value = RunResource.EXAMPLE_ACCEPTED)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "413", ref = "RequestTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    public Uni<Response> ingest(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId"))
                                @PathParam("id") String id, byte[] body) {
        return ingest.accept(id, bodies.posted(bodies.parse(body), StepSampled.class, id, true), null);
    }
}
