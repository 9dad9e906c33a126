package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.QueryParameterException;
import io.trainwatch.metrics.read.RunControlState;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
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

import java.time.Duration;

/**
 * A run's control state for HTTP-reporting trainers, as a long-poll: a trainer that logs rarely still learns of a
 * cancel within moments. The wait holds no thread (see {@link RunControlState}).
 */
@Path("/api/v1/runs/{id}/control")
@Tag(name = "runs")
public class RunControlResource {

    static final int MAX_WAIT_SECONDS = 60;

    @Inject
    RunControlState control;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getRunControl", summary = "Get a run's control state (long-poll)",
            description = "cancel_requested, reason, requested_by, status; wait=S (0-60) holds the answer until a "
                    + "cancel is requested, the run ends, or S seconds pass.")
    @APIResponse(responseCode = "200", description = "The control state", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "ControlState"),
            examples = @ExampleObject(name = "cancelled", value = "{\"cancel_requested\": true, \"reason\": "
                    + "\"overfitting\", \"requested_by\": \"agent-7\", \"status\": \"cancelling\"}")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> control(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId"))
                                 @PathParam("id") String id,
                                 @Parameter(description = "Seconds to hold the answer while nothing changes",
                                         schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = "60",
                                                 defaultValue = "0"))
                                 @QueryParam("wait") String wait) {
        Duration max = Duration.ofSeconds(parseWait(wait));
        return control.await(id, max, found -> found.isEmpty() || RunControlState.settled(found.get()))
                .map(found -> Response.ok(control.view(found.orElseThrow(() -> ProblemException.runNotFound(id)))).build());
    }

    static int parseWait(String wait) {
        if (wait == null || wait.isBlank()) {
            return 0;
        }
        try {
            int v = Integer.parseInt(wait.trim());
            if (v < 0 || v > MAX_WAIT_SECONDS) {
                throw new QueryParameterException("wait", "must be >= 0 and <= " + MAX_WAIT_SECONDS + " seconds, was " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new QueryParameterException("wait", "must be a whole number of seconds, was \"" + wait + "\"");
        }
    }
}
