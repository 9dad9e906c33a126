package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.metrics.history.HistoryQuery;
import io.trainwatch.metrics.history.StepRow;
import io.trainwatch.metrics.persistence.RunQueries;
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
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A run's sampled steps, with the same query rules as its epochs (since_step instead of since_epoch); and their HTTP ingest. */
@Path("/api/v1/runs/{id}/steps")
@Tag(name = "metrics")
public class RunStepsResource {

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
    @Operation(summary = "Sampled steps: since_step (exclusive), fields, max_points, format=csv; ETag/304")
    public Uni<Response> steps(@PathParam("id") String id, @QueryParam("since_step") String sinceStep,
                               @QueryParam("fields") String fields, @QueryParam("max_points") String maxPoints,
                               @QueryParam("format") String format,
                               @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        HistoryQuery query = HistoryQuery.parse("since_step", sinceStep, fields, maxPoints, format, StepRow.FIELDS);
        return responses.conditional("steps", id, "global_step", query, ifNoneMatch, queries::steps);
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "HTTP ingest of one step.sampled or an array of them (run_id from the path; at most 1,000; "
            + "optional event_id each): 202 with the run's control state, once the run is readable")
    public Uni<Response> ingest(@PathParam("id") String id, byte[] body) {
        return ingest.accept(id, bodies.posted(bodies.parse(body), StepSampled.class, id, true), null);
    }
}
