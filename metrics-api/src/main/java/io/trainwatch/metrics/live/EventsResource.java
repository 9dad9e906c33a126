package io.trainwatch.metrics.live;

import io.smallrye.mutiny.Multi;
import io.trainwatch.metrics.MetricsConfig;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
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

    @Inject
    MetricsConfig config;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(operationId = "streamEvents", summary = "Stream live changes of every run (SSE)",
            description = "Ids are global positions; reconnect with Last-Event-ID to resume without gap or duplicate.")
    @APIResponse(responseCode = "200", description = "A stream of Server-Sent Events: `status`, `epoch`, `analysis`, "
            + "`alert` (each frame's id, event type and JSON data: see LiveEvent), and config.sse().heartbeat() comments.",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(ref = "LiveEvent")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    public Multi<OutboundSseEvent> events(@Parameter(description = "Only runs of this project")
                                          @QueryParam("project") String project,
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
        io.trainwatch.metrics.security.Caller caller = access.caller();
        SseConnection connection = SseConnection.of(request);
        Multi<OutboundSseEvent> events = caller.allProjects()
                ? feed.subscribe(null, project, wanted, after,
                        e -> SseEvents.event(sse, Long.toString(e.position()), e), null, connection)
                // A project-limited token's stream carries its projects' events only.
                : feed.<FeedEvent>subscribe(null, project, wanted, after, e -> e, null, connection)
                        .select().where(e -> caller.sees(e.project()))
                        .map(e -> SseEvents.event(sse, Long.toString(e.position()), e));
        return SseEvents.withHeartbeats(sse, events, config.sse().heartbeat());
    }
}
