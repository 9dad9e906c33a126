package io.trainwatch.trainer.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.trainwatch.trainer.datasets.DatasetException;
import io.trainwatch.trainer.spec.FieldError;
import io.trainwatch.trainer.spec.InvalidSpecException;
import io.trainwatch.trainer.queue.JobQueue;
import io.trainwatch.trainer.training.JobManager;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.List;

/** The one place failures become problem+json. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @Context
    UriInfo uri;

    private String instance() {
        return uri == null ? null : uri.getPath();
    }

    @ServerExceptionMapper
    public Response invalidSpec(InvalidSpecException e) {
        return Problem.of("invalid-spec", "The job spec is invalid", 422,
                e.errors().size() + " field(s) broke a rule: " + e.getMessage(), instance(), e.errors()).toResponse();
    }

    @ServerExceptionMapper
    public Response badData(DatasetException e) {
        return Problem.of("invalid-dataset", "The dataset cannot be used", 422, e.getMessage(), instance(),
                List.of(new FieldError(e.field(), e.rule()))).toResponse();
    }

    @ServerExceptionMapper
    public Response notJson(JsonProcessingException e) {
        return Problem.of("malformed-json", "The body is not valid JSON", 400, e.getOriginalMessage(), instance(),
                List.of(new FieldError("$", "must be a JSON object"))).toResponse();
    }

    @ServerExceptionMapper
    public Response queueFull(JobManager.QueueFullException e) {
        return Response.fromResponse(Problem.of("queue-full", "Too many jobs waiting", 503, e.getMessage(), instance(), null).toResponse())
                .header("Retry-After", "30").build();
    }

    @ServerExceptionMapper
    public Response queueUnavailable(JobQueue.UnavailableException e) {
        return Response.fromResponse(Problem.of("queue-unavailable", "The job queue is unavailable", 503, e.getMessage(), instance(), null)
                .toResponse()).header("Retry-After", "10").build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return Problem.of(status == 404 ? "not-found" : "http-" + status, e.getResponse().getStatusInfo().getReasonPhrase(), status,
                e.getMessage(), instance(), null).toResponse();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.errorf(e, "unexpected failure on %s", instance());
        return Problem.of("internal", "Internal error", 500, e.toString(), instance(), null).toResponse();
    }
}
