package io.trainwatch.metrics.sse;

import io.smallrye.mutiny.Multi;
import io.trainwatch.metrics.persistence.RunQueries;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.RunViews;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
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

    @ConfigProperty(name = "trainwatch.sse.heartbeat", defaultValue = "PT15S")
    Duration heartbeat;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "SSE stream of one run (types=epoch,status,analysis,alert to filter); resumable with Last-Event-ID")
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @QueryParam("types") String types,
                                          @HeaderParam("Last-Event-ID") String lastEventId,
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
            return SseEvents.withHeartbeats(sse, events, heartbeat);
        });
    }

}
