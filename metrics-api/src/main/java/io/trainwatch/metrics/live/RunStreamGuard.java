package io.trainwatch.metrics.live;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.ProblemMapper;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Answers 404 problem+json for the event stream of an unknown run before the stream starts: once an SSE response
 * has begun, its status can no longer change.
 */
public class RunStreamGuard {

    @Inject
    RunQueries queries;

    @Inject
    ProblemMapper problems;

    @ServerRequestFilter
    public Uni<Response> requireRun(ContainerRequestContext request, SimpleResourceInfo resource) {
        if (resource == null || resource.getResourceClass() != RunEventsResource.class) {
            return null;
        }
        String id = request.getUriInfo().getPathParameters().getFirst("id");
        return queries.run(id).map(run -> run.isPresent() ? null : problems.toResponse(ProblemException.runNotFound(id)));
    }
}
