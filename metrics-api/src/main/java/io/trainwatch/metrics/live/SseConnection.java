package io.trainwatch.metrics.live;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * The connection an SSE client's stream is written to: its event loop (where live events are offered) and how to cut
 * it. Cutting is how a client that stopped reading is dropped: a failure sent down its stream would wait behind the
 * events it does not read, so the connection stays open and its buffer full; a closed connection frees both at once.
 */
public record SseConnection(Context context, Runnable cut) {

    /** The request being served on this event loop (call from the resource method). */
    public static SseConnection of(RoutingContext request) {
        return new SseConnection(Vertx.currentContext(), () -> {
            if (!request.response().closed()) {
                request.response().reset();
            }
        });
    }
}
