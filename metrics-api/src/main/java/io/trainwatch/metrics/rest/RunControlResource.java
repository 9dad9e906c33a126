package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.history.QueryParameterException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Duration;

/**
 * A run's control state for HTTP-reporting trainers, as a long-poll: a trainer that logs rarely still learns of a
 * cancel within moments. The wait holds no thread (see {@link RunControl}).
 */
@Path("/api/v1/runs/{id}/control")
@Tag(name = "runs")
public class RunControlResource {

    static final int MAX_WAIT_SECONDS = 60;

    @Inject
    RunControl control;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Control state (cancel_requested, reason, requested_by, status); wait=S (0-60) holds the "
            + "answer until a cancel is requested, the run ends, or S seconds pass")
    public Uni<Response> control(@PathParam("id") String id, @QueryParam("wait") String wait) {
        Duration max = Duration.ofSeconds(parseWait(wait));
        return control.await(id, max, found -> found.isEmpty() || RunControl.settled(found.get()))
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
