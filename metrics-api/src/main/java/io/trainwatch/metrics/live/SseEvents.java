package io.trainwatch.metrics.live;

import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import java.time.Duration;

/** Shapes SSE streams: typed, identified JSON events, an opening comment, and heartbeat comments. */
final class SseEvents {

    private SseEvents() {
    }

    static final java.util.List<String> TYPES = java.util.List.of("epoch", "status", "analysis", "alert");

    /** The {@code types=} filter: null (every type) when absent, else the named types. */
    static java.util.Set<String> types(String types) {
        if (types == null || types.isBlank()) {
            return null;
        }
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (String t : types.split(",")) {
            String type = t.trim();
            if (!TYPES.contains(type)) {
                throw new io.trainwatch.metrics.read.QueryParameterException("types", "must be a comma-separated list of "
                        + String.join(", ", TYPES) + ", was \"" + types + "\"");
            }
            out.add(type);
        }
        return java.util.Set.copyOf(out);
    }

    static OutboundSseEvent event(Sse sse, String id, FeedEvent e) {
        return sse.newEventBuilder().id(id).name(e.type()).mediaType(MediaType.APPLICATION_JSON_TYPE).data(e.data()).build();
    }

    /**
     * The client's events with an opening comment (so headers go out at once) and a heartbeat comment every
     * {@code heartbeat}; ticks that the client cannot take are dropped, never buffered. The merge asks each side for
     * one item at a time, so events wait in the client's own counted buffer, not in the merge.
     */
    static Multi<OutboundSseEvent> withHeartbeats(Sse sse, Multi<OutboundSseEvent> events, Duration heartbeat) {
        Multi<OutboundSseEvent> beats = Multi.createFrom().ticks().every(heartbeat).onOverflow().drop()
                .map(t -> sse.newEventBuilder().comment("heartbeat").build());
        Multi<OutboundSseEvent> opening = Multi.createFrom().item(sse.newEventBuilder().comment("connected").build());
        // The events end with a marker (empty), so that the stream ends when they do (a deleted run) although the
        // heartbeats never end.
        Multi<java.util.Optional<OutboundSseEvent>> ending = Multi.createBy().concatenating().streams(
                events.map(java.util.Optional::of), Multi.createFrom().item(java.util.Optional.empty()));
        Multi<OutboundSseEvent> live = Multi.createBy().merging().withRequests(1).streams(ending, beats.map(java.util.Optional::of))
                .select().first(java.util.Optional::isPresent).map(java.util.Optional::get);
        return Multi.createBy().concatenating().streams(opening, live);
    }
}
