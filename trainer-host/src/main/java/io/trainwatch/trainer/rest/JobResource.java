package io.trainwatch.trainer.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.common.annotation.Blocking;
import io.trainwatch.trainer.spec.JobSpec;
import io.trainwatch.trainer.spec.JobSpecParser;
import io.trainwatch.trainer.queue.JobQueue;
import io.trainwatch.trainer.training.JobManager;
import io.trainwatch.trainer.training.JobView;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.List;

/** Training jobs: submit (a spec or a preset), list, inspect, cancel. */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "jobs", description = "Training jobs on this trainer host")
public class JobResource {

    @Inject
    JobManager jobs;

    @Inject
    JobQueue queue;

    @Inject
    io.trainwatch.trainer.TrainerConfig config;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking // reads dataset files before accepting the job
    @Operation(summary = "Submit a training job",
            description = "A full spec, or {\"preset\": \"overfit\"|\"plateau\"|\"diverge\"|\"healthy\"} with fields that override the "
                    + "preset. The data is generated or read before the answer, so a missing or malformed file is a 422 now.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, examples = {
            @ExampleObject(name = "preset", value = "{\"preset\": \"overfit\", \"epochs\": 60}"),
            @ExampleObject(name = "spec", value = "{\"name\": \"spirals-mlp\", \"project\": \"demo\", \"model\": {\"type\": \"mlp\", "
                    + "\"hidden\": [128, 128]}, \"dataset\": {\"type\": \"spirals\", \"train_size\": 2000, \"val_size\": 1000, \"noise\": 0.25}, "
                    + "\"epochs\": 40, \"batch_size\": 64, \"optimizer\": {\"type\": \"adam\", \"learning_rate\": 0.001}}")}))
    @APIResponse(responseCode = "202", description = "Accepted and queued; the body has run_id",
            content = @Content(schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "400", description = "The body is not JSON", content = @Content(mediaType = Problem.MEDIA_TYPE,
            schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "A field breaks a rule; errors[] names each",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "Too many jobs waiting", content = @Content(mediaType = Problem.MEDIA_TYPE,
            schema = @Schema(implementation = Problem.class)))
    public Response submit(JsonNode body) {
        JobSpec spec = JobSpecParser.parse(body, java.nio.file.Path.of(config.trainer().dataRoot()));
        JobView job = queue.submit(spec, body);
        return Response.accepted(job).location(URI.create("/api/v1/jobs/" + job.runId())).build();
    }

    @GET
    @Operation(summary = "List jobs, newest first")
    public List<JobView> list() {
        return jobs.list();
    }

    @GET
    @Path("/{run_id}")
    @Operation(summary = "One job: status (queued, running, completed, failed, cancelled, stopped_early), epoch, progress, device, reason")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "404", description = "No such job on this host", content = @Content(mediaType = Problem.MEDIA_TYPE,
            schema = @Schema(implementation = Problem.class)))
    public JobView get(@PathParam("run_id") String runId) {
        return jobs.get(runId).or(() -> queue.submittedElsewhere(runId)).orElseThrow(() -> notFound(runId));
    }

    @DELETE
    @Path("/{run_id}")
    @Operation(summary = "Cancel a job", description = "A running job stops at its next batch boundary and its run.finished says "
            + "cancelled with this reason; a queued job never starts: it ends cancelled at once and publishes its run.started and "
            + "run.finished (0 epochs). 202 while it stops (or as it ends, if queued), 200 if it had already ended.")
    @APIResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "200", description = "Already ended; nothing to do", content = @Content(schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "404", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response cancel(@PathParam("run_id") String runId,
                           @Parameter(description = "Why; carried by run.finished") @QueryParam("reason") @DefaultValue("cancelled through the trainer-host API") String reason,
                           @Parameter(description = "Who asks") @QueryParam("requested_by") @DefaultValue("trainer-host-api") String requestedBy) {
        var elsewhere = queue.submittedElsewhere(runId);
        if (elsewhere.isPresent()) {
            // Submitted here, trained wherever the queue put it: the control topic reaches that host.
            queue.cancelElsewhere(runId, reason, requestedBy);
            return Response.accepted(elsewhere.get()).build();
        }
        boolean wasActive = jobs.get(runId).map(j -> !j.status().finished()).orElseThrow(() -> notFound(runId));
        JobView view = jobs.cancel(runId, reason, requestedBy).orElseThrow(() -> notFound(runId));
        return Response.status(wasActive ? 202 : 200).entity(view).build();
    }

    private static NotFoundException notFound(String runId) {
        return new NotFoundException("run_id: no job \"" + runId + "\" on this trainer host");
    }
}
