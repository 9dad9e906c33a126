package io.trainwatch.metrics.security;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * Runs Hibernate Reactive work on a fresh, safe duplicated Vert.x context (its session lives in that context's
 * locals) and hands the result back on the caller's context. Token and audit writes come from places Hibernate does
 * not expect on its own — the HTTP filter, MCP tools, timers, start-up — and this makes each of them the same.
 */
final class SafeContext {

    private SafeContext() {
    }

    static <T> Uni<T> call(Vertx vertx, Supplier<Uni<T>> work) {
        Context caller = Vertx.currentContext();
        Uni<T> onOwnContext = Uni.createFrom().emitter(em -> {
            Context dup = VertxContext.createNewDuplicatedContext(caller != null ? caller : vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(dup, true);
            dup.runOnContext(ignored -> {
                try {
                    work.get().subscribe().with(em::complete, em::fail);
                } catch (RuntimeException e) {
                    em.fail(e);
                }
            });
        });
        return caller == null ? onOwnContext : onOwnContext.emitOn(task -> caller.runOnContext(ignored -> task.run()));
    }
}
