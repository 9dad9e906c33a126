package io.trainwatch.metrics.rest;

import io.trainwatch.contracts.EventValidationException;
import io.trainwatch.contracts.Limits;
import io.trainwatch.metrics.read.QueryParameterException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Refuses, before any resource runs, requests whose parts the resources would otherwise misread: a path parameter
 * with {@code ;} (JAX-RS would drop everything after it as matrix parameters, so {@code /runs/a;b/metrics} would
 * write to run {@code a}), text PostgreSQL cannot store in a path or query parameter (a NUL would fail the query:
 * 500 instead of 400), and a request body that is not JSON (415).
 */
public class RequestGuard {

    static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    /** Runs after matching, so the path parameters are known; the raw path comes from Vert.x (JAX-RS drops matrix parts). */
    @ServerRequestFilter
    public void guard(ContainerRequestContext request, HttpServerRequest http) {
        UriInfo uri = request.getUriInfo();
        checkPathParameters(uri, http.path());
        checkQueryParameters(uri.getQueryParameters());
        if (BODY_METHODS.contains(request.getMethod())) {
            checkContentType(mediaType(request), request.getHeaderString("Content-Type"));
        }
    }

    private static void checkPathParameters(UriInfo uri, String rawPath) {
        MultivaluedMap<String, String> params = uri.getPathParameters();
        if (rawPath != null && rawPath.indexOf(';') >= 0) {
            for (String segment : rawPath.split("/")) {
                int semicolon = segment.indexOf(';');
                if (semicolon < 0) {
                    continue;
                }
                String value = URLDecoder.decode(segment.substring(0, semicolon), StandardCharsets.UTF_8);
                String name = params.entrySet().stream().filter(e -> e.getValue().contains(value))
                        .map(Map.Entry::getKey).findFirst().orElse("path");
                String raw = URLDecoder.decode(segment, StandardCharsets.UTF_8);
                throw invalidPath(name, "must not contain ';' (matrix parameters are not supported), was \""
                        + abbreviate(raw) + "\"");
            }
        }
        params.forEach((name, values) -> values.forEach(value -> {
            try {
                Limits.text(name, value, Integer.MAX_VALUE);
            } catch (EventValidationException e) {
                throw invalidPath(name, rule(e));
            }
        }));
    }

    private static void checkQueryParameters(MultivaluedMap<String, String> params) {
        params.forEach((name, values) -> {
            try {
                // The name too: it is echoed in errors, and a NUL in it is as unstorable as in a value.
                Limits.text("query parameter name", name, Integer.MAX_VALUE);
                values.forEach(value -> Limits.text(name, value, Integer.MAX_VALUE));
            } catch (EventValidationException e) {
                throw new QueryParameterException(e.field(), rule(e));
            }
        });
    }

    /** The request's media type; null when absent or unparsable ("jsonish"), which is then refused as not JSON. */
    private static MediaType mediaType(ContainerRequestContext request) {
        try {
            return request.getMediaType();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void checkContentType(MediaType type, String header) {
        boolean json = type != null && "application".equalsIgnoreCase(type.getType())
                && ("json".equalsIgnoreCase(type.getSubtype()) || type.getSubtype().toLowerCase().endsWith("+json"));
        if (!json) {
            String was = header == null ? "absent" : "\"" + abbreviate(header) + "\"";
            String message = "must be application/json, was " + was;
            throw new ProblemException(415, "unsupported-media-type", "Unsupported media type",
                    "Content-Type: " + message, List.of(new ProblemException.FieldError("Content-Type", message)));
        }
    }

    private static ProblemException invalidPath(String name, String message) {
        return new ProblemException(400, "invalid-path-parameter", "Invalid path parameter", name + ": " + message,
                List.of(new ProblemException.FieldError(name, message)));
    }

    private static String rule(EventValidationException e) {
        String prefix = e.field() + ": ";
        return e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
    }

    private static String abbreviate(String s) {
        String printable = s.replace("\u0000", "\\u0000");
        return printable.length() <= 60 ? printable : printable.substring(0, 60) + "…";
    }
}
