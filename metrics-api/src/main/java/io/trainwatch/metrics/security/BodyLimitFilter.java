package io.trainwatch.metrics.security;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.ProblemMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;

/**
 * A body larger than {@code quarkus.http.limits.max-body-size} is refused with 413 problem+json before it is read
 * (Quarkus itself would answer a bare 413 once the body has grown past the limit: that stays the backstop for
 * chunked bodies that declare no length).
 */
@ApplicationScoped
public class BodyLimitFilter {

    @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
    MemorySize maxBodySize;

    @Inject
    ProblemMapper problems;

    void register(@Observes Filters filters) {
        filters.register(this::handle, AuthFilter.PRIORITY + 10);
    }

    /** The largest body accepted, in bytes. */
    long limit() {
        return maxBodySize.asLongValue();
    }

    void handle(RoutingContext rc) {
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long limit = limit();
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared > limit) {
                ProblemException p = new ProblemException(413, "body-too-large", "Request body too large",
                        "the body has " + declared + " bytes; at most " + limit + " are accepted",
                        // "$" is the whole body, as the ingest's own limit check names it.
                        List.of(new ProblemException.FieldError("$", "must be at most " + limit + " bytes, was " + declared)));
                rc.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        .end(String.valueOf(problems.toResponse(p).getEntity()));
                return;
            }
        }
        rc.next();
    }
}
