package io.trainwatch.metrics.sse;

import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
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

/** Live updates of every run (optionally one project). Ids are global positions; resumable with Last-Event-ID. */
@Path("/api/v1/events")
@Tag(name = "live")
public class EventsResource {

    @Inject
    ChangeFeed feed;

    @Inject
    io.trainwatch.metrics.security.Access access;

    @ConfigProperty(name = "trainwatch.sse.heartbeat", defaultValue = "PT15S")
    Duration heartbeat;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "SSE stream of all runs (project= and types=epoch,status,analysis,alert to filter); resumable with Last-Event-ID")
    public Multi<OutboundSseEvent> events(@QueryParam("project") String project, @QueryParam("types") String types,
                                          @HeaderParam("Last-Event-ID") String lastEventId,
                                          @QueryParam("last_event_id") String lastEventIdParam, @Context Sse sse,
                                          @Context io.vertx.ext.web.RoutingContext request) {
        Long after = FeedEvent.positionOf(lastEventId != null ? lastEventId : lastEventIdParam);
        java.util.Set<String> wanted = SseEvents.types(types);
        io.trainwatch.metrics.security.Caller caller = access.caller();
        SseConnection connection = SseConnection.of(request);
        Multi<OutboundSseEvent> events = caller.allProjects()
                ? feed.subscribe(null, project, wanted, after,
                        e -> SseEvents.event(sse, Long.toString(e.position()), e), null, connection)
                // A project-limited token's stream carries its projects' events only.
                : feed.<FeedEvent>subscribe(null, project, wanted, after, e -> e, null, connection)
                        .select().where(e -> caller.sees(e.project()))
                        .map(e -> SseEvents.event(sse, Long.toString(e.position()), e));
        return SseEvents.withHeartbeats(sse, events, heartbeat);
    }
}
