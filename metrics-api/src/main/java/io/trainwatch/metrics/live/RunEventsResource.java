package io.trainwatch.metrics.live;

import io.smallrye.mutiny.Multi;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.read.RunViews;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Duration;

/**
 * Live updates of one run: {@code status} first (on a fresh connection), then {@code epoch}, {@code status},
 * {@code analysis}, {@code alert} events as they are stored. Ids are {@code <run id>/<position>}; reconnecting with
 * {@code Last-Event-ID} replays exactly what was missed, then continues live.
 */
@Path("/api/v1/runs/{id}/events")
@Tag(name = "live")
public class RunEventsResource {

    @Inject
    ChangeFeed feed;

    @Inject
    RunQueries queries;

    @Inject
    RunViews views;

    @Inject
    MetricsConfig config;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(operationId = "streamRunEvents", summary = "Stream live changes of one run (SSE)",
            description = "A fresh connection starts with the run's status; ids are <run id>/<position>; reconnect "
                    + "with Last-Event-ID to resume without gap or duplicate.")
    @APIResponse(responseCode = "200", description = "A stream of Server-Sent Events: `status`, `epoch`, `analysis`, "
            + "`alert` (each frame's id, event type and JSON data: see LiveEvent), and config.sse().heartbeat() comments.",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(ref = "LiveEvent")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Multi<OutboundSseEvent> events(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id,
                                          @Parameter(description = "Comma list of event types to send: epoch, status, analysis, alert (default: all)")
                                          @QueryParam("types") String types,
                                          @Parameter(description = "The id of the last event processed: the stream "
                                                  + "replays what came after it")
                                          @HeaderParam("Last-Event-ID") String lastEventId,
                                          @Parameter(description = "Same as Last-Event-ID, for clients that cannot set headers")
                                          @QueryParam("last_event_id") String lastEventIdParam, @Context Sse sse,
                                          @Context io.vertx.ext.web.RoutingContext request) {
        Long after = FeedEvent.positionOf(lastEventId != null ? lastEventId : lastEventIdParam);
        java.util.Set<String> wanted = SseEvents.types(types);
        // The request's event loop, captured here: the stream below is built in a database callback.
        SseConnection connection = SseConnection.of(request);
        // The run must exist before the stream starts, so an unknown run is a 404 problem, not an empty stream.
        return Multi.createFrom().uni(queries.run(id)).onItem().transformToMultiAndConcatenate(found -> {
            if (found.isEmpty()) {
                return Multi.createFrom().failure(ProblemException.runNotFound(id));
            }
            Multi<OutboundSseEvent> events = feed.subscribe(id, null, wanted, after,
                    e -> SseEvents.event(sse, e.runStreamId(), e),
                    wanted != null && !wanted.contains("status") ? null : snapshot -> queries.run(id).map(run -> run.map(r ->
                            new FeedEvent(snapshot, id, r.project(), "status", views.summary(r).toString())).orElse(null)),
                    connection);
            return SseEvents.withHeartbeats(sse, events, config.sse().heartbeat());
        });
    }

}
