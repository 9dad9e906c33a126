package io.trainwatch.metrics.security;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.ProblemMapper;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * For project-limited tokens: every route under /api/v1/runs/{id} answers 404 for a run of another project (and for
 * a run not stored yet), before the resource runs — reads, history, analysis, streams, ingest and cancel alike.
 */
public class RunProjectGuard {

    @Inject
    Access access;

    @Inject
    ProblemMapper problems;

    @ServerRequestFilter
    public Uni<Response> requireVisibleRun(ContainerRequestContext request) {
        String id = request.getUriInfo().getPathParameters().getFirst("id");
        if (id == null || !request.getUriInfo().getPath().startsWith("/api/v1/runs/")) {
            return null;
        }
        return Uni.createFrom().deferred(() -> access.requireRun(id)).map(ok -> (Response) null)
                .onFailure(ProblemException.class).recoverWithItem(f -> problems.toResponse(f));
    }
}
