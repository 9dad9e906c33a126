package io.trainwatch.metrics.rest;

import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.metrics.history.EpochRow;
import io.trainwatch.metrics.history.HistoryQuery;
import io.trainwatch.metrics.persistence.RunQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A run's epoch history: incremental, selectable, downsampled, JSON or CSV, with strong ETags; and its HTTP ingest. */
@Path("/api/v1/runs/{id}/metrics")
@Tag(name = "metrics")
public class RunMetricsResource {

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
    @Operation(summary = "Epoch history: since_epoch (exclusive), fields, max_points (keeps first, last, min, max), format=csv; ETag/304")
    public Uni<Response> history(@PathParam("id") String id, @QueryParam("since_epoch") String sinceEpoch,
                                 @QueryParam("fields") String fields, @QueryParam("max_points") String maxPoints,
                                 @QueryParam("format") String format,
                                 @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        HistoryQuery query = HistoryQuery.parse("since_epoch", sinceEpoch, fields, maxPoints, format, EpochRow.FIELDS);
        return responses.conditional("epochs", id, "epoch", query, ifNoneMatch, queries::epochs);
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "HTTP ingest of one epoch.completed or an array of them (run_id from the path; at most 1,000; "
            + "optional event_id each): 202 with the run's control state, once the run is readable")
    public Uni<Response> ingest(@PathParam("id") String id, byte[] body) {
        return ingest.accept(id, bodies.posted(bodies.parse(body), EpochCompleted.class, id, true), null);
    }
}
