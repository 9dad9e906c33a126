package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.metrics.history.EpochRow;
import io.trainwatch.metrics.history.HistoryQuery;
import io.trainwatch.metrics.messaging.EventPublisher;
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

import java.util.ArrayList;
import java.util.List;

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
    EventPublisher publisher;

    @Inject
    ObjectMapper mapper;

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
    @Operation(summary = "HTTP ingest of one epoch.completed or an array of them (run_id from the path): 202")
    public Uni<Response> ingest(@PathParam("id") String id, byte[] body) {
        List<EpochCompleted> epochs = bodies.events(bodies.parse(body), EpochCompleted.class, id, true);
        List<Uni<String>> sends = new ArrayList<>(epochs.size());
        for (EpochCompleted e : epochs) {
            sends.add(publisher.publish(e));
        }
        // Uni.join subscribes in list order, so the records are handed to the producer in the order given.
        return Uni.join().all(sends).andFailFast().map(ceIds -> {
            ObjectNode n = mapper.createObjectNode();
            n.put("run_id", id);
            n.put("accepted", ceIds.size());
            ArrayNode ids = n.putArray("ce_ids");
            ceIds.forEach(ids::add);
            return Response.accepted(n).build();
        });
    }
}
