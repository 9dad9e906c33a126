package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.RunReads;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/** Runs side by side: each run's summary, headline analysis and epoch history, with the history query rules. */
@Path("/api/v1/compare")
@Tag(name = "runs")
@Produces(MediaType.APPLICATION_JSON)
public class CompareResource {

    @Inject
    RunReads reads;

    @Inject
    io.trainwatch.metrics.security.Access access;

    @GET
    @Operation(operationId = "compareRuns", summary = "Compare runs side by side",
            description = "Each run's summary, headline analysis and epochs, in the order asked.")
    @APIResponse(responseCode = "200", description = "The runs", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "ComparedRuns"),
            examples = @ExampleObject(name = "two", value = "{\"runs\": [{\"run_id\": \"a\", \"status\": \"completed\", "
                    + "\"epochs_recorded\": 1, \"epochs\": [{\"epoch\": 0, \"val_loss\": 0.9}]}, {\"run_id\": \"b\", "
                    + "\"status\": \"running\", \"epochs_recorded\": 0, \"epochs\": []}]}")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> compare(
            @Parameter(description = "A run id; 1 to 10 times", required = true, explode = org.eclipse.microprofile.openapi.annotations.enums.Explode.TRUE,
                    schema = @Schema(type = SchemaType.ARRAY, minItems = 1, maxItems = RunReads.MAX_COMPARED,
                            implementation = String.class))
            @QueryParam("run") List<String> runIds,
            @Parameter(description = "Comma list of epoch fields (default: every field)") @QueryParam("fields") String fields,
            @Parameter(description = "Downsample each run to at most this many epochs",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "2", maximum = "100000"))
            @QueryParam("max_points") String maxPoints) {
        return reads.compare(runIds, fields, maxPoints, access.caller()).map(body -> Response.ok(body).build());
    }
}
