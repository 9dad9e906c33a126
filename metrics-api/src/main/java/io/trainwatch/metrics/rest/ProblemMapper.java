package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.CompositeException;
import io.trainwatch.contracts.EventValidationException;
import io.trainwatch.metrics.read.QueryParameterException;
import io.trainwatch.metrics.store.DatabaseFailures;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * The one exception mapper: every failure becomes RFC 9457 {@code application/problem+json} with {@code type},
 * {@code title}, {@code status}, {@code detail} and {@code errors} [{field, message}]. Mutiny's CompositeException
 * is unwrapped to its first cause, so a failure inside a Uni chain answers like a thrown one.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {

    public static final String PROBLEM_JSON = "application/problem+json";
    static final String TYPE_PREFIX = "urn:trainwatch:problem:";
    /** What a 503 tells the client to wait: the Kafka send and database timeouts are a few seconds too. */
    static final int RETRY_AFTER_SECONDS = 2;

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @Inject
    ObjectMapper mapper;

    @Override
    public Response toResponse(Throwable exception) {
        Throwable e = unwrap(exception);
        ProblemException problem = toProblem(e);
        if (problem.status() == 503) {
            // A dependency is away: one line, no stack trace (a burst of refused requests must not flood the log).
            LOG.warnf("request refused with 503, dependency unavailable: %s", e.toString());
        } else if (problem.status() >= 500) {
            LOG.errorf(e, "request failed: %s", e.toString());
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("type", TYPE_PREFIX + problem.type());
        body.put("title", problem.title());
        body.put("status", problem.status());
        if (problem.getMessage() != null) {
            body.put("detail", problem.getMessage());
        }
        ArrayNode errors = body.putArray("errors");
        for (ProblemException.FieldError fe : problem.errors()) {
            errors.addObject().put("field", fe.field()).put("message", fe.message());
        }
        Response.ResponseBuilder answer = Response.status(problem.status()).type(PROBLEM_JSON).entity(body.toString());
        if (problem.status() == 503) {
            // Every 503 here is transient (Kafka, the store or the waiter bound): tell clients when to come back.
            answer.header("Retry-After", RETRY_AFTER_SECONDS);
        }
        return answer.build();
    }

    static Throwable unwrap(Throwable e) {
        Throwable current = e;
        for (int i = 0; i < 10 && current != null; i++) {
            if (current instanceof CompositeException ce && !ce.getCauses().isEmpty()) {
                current = ce.getCauses().get(0);
            } else if ((current instanceof java.util.concurrent.CompletionException
                    || current instanceof java.util.concurrent.ExecutionException) && current.getCause() != null) {
                current = current.getCause();
            } else {
                break;
            }
        }
        return current;
    }

    static ProblemException toProblem(Throwable e) {
        if (e instanceof ProblemException p) {
            return p;
        }
        if (e instanceof EventValidationException eve) {
            return ProblemException.invalid(List.of(new ProblemException.FieldError(eve.field(), rule(eve))));
        }
        if (e instanceof QueryParameterException qpe) {
            return new ProblemException(400, "invalid-query-parameter", "Invalid query parameter", qpe.getMessage(),
                    List.of(new ProblemException.FieldError(qpe.parameter(), rule(qpe.getMessage(), qpe.parameter()))));
        }
        if (e instanceof JsonProcessingException jpe) {
            return ProblemException.malformed("body is not valid JSON: " + jpe.getOriginalMessage());
        }
        if (e instanceof WebApplicationException wae) {
            int status = wae.getResponse() == null ? 500 : wae.getResponse().getStatus();
            Response.Status known = Response.Status.fromStatusCode(status);
            String title = known == null ? "HTTP " + status : known.getReasonPhrase();
            return new ProblemException(status, "http-" + status, title, wae.getMessage(), List.of());
        }
        if (e instanceof io.smallrye.mutiny.subscription.BackPressureFailure
                || e instanceof java.util.concurrent.TimeoutException
                || e instanceof org.apache.kafka.common.errors.RetriableException) {
            return new ProblemException(503, "unavailable", "Service unavailable",
                    "the event could not be handed to Kafka in time; retry later", List.of());
        }
        if (DatabaseFailures.isTransient(e)) {
            return new ProblemException(503, "unavailable", "Service unavailable",
                    "the database is unavailable; retry later", List.of());
        }
        return new ProblemException(500, "internal", "Internal error",
                "the server failed to answer; the log has the details", List.of());
    }

    private static String rule(EventValidationException eve) {
        return rule(eve.getMessage(), eve.field());
    }

    private static String rule(String message, String field) {
        String prefix = field + ": ";
        return message != null && message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
