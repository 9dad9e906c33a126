package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.AnalysisView;
import io.trainwatch.metrics.read.Downsampler;
import io.trainwatch.metrics.read.EpochRow;
import io.trainwatch.metrics.read.HistoryQuery;
import io.trainwatch.metrics.read.QueryParameterException;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.read.RunViews;
import io.trainwatch.metrics.store.RunRow;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Runs side by side: each run's summary, headline analysis and epoch history, with the history query rules. */
@Path("/api/v1/compare")
@Tag(name = "runs")
@Produces(MediaType.APPLICATION_JSON)
public class CompareResource {

    static final int MAX_RUNS = 10;

    @Inject
    RunQueries queries;

    @Inject
    RunViews views;

    @Inject
    AnalysisView analysis;

    @Inject
    ObjectMapper mapper;

    @Inject
    io.trainwatch.metrics.security.Access access;

    @GET
    @Operation(operationId = "compareRuns", summary = "Compare runs side by side",
            description = "Each run's summary, headline analysis and epochs, in the order asked.")
    @APIResponse(responseCode = "200", description = "The runs", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "ComparedRuns"),
            examples = @ExampleObject(name = "two", value = "{\"runs\": [{\"run_id\": \"a\", \"status\": \"completed\", "
                    + "\"epochs_recorded\": 1, \"epochs\": [{\"epoch\": 0, \"val_loss\": 0.9}]}, {\"run_id\": \"b\", "
                    + "\"status\": \"running\", \"epochs_recorded\": 0, \"epochs\": []}]}")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> compare(
            @Parameter(description = "A run id; 1 to 10 times", required = true, explode = org.eclipse.microprofile.openapi.annotations.enums.Explode.TRUE,
                    schema = @Schema(type = SchemaType.ARRAY, minItems = 1, maxItems = 10,
                            implementation = String.class))
            @QueryParam("run") List<String> runIds,
            @Parameter(description = "Comma list of epoch fields (default: every field)") @QueryParam("fields") String fields,
            @Parameter(description = "Downsample each run to at most this many epochs",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "2", maximum = "100000"))
            @QueryParam("max_points") String maxPoints) {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(runIds == null ? List.of() : runIds));
        if (ids.isEmpty() || ids.size() > MAX_RUNS) {
            throw new QueryParameterException("run", "must be given 1 to " + MAX_RUNS + " times, was given " + ids.size());
        }
        HistoryQuery query = HistoryQuery.parse("since_epoch", null, fields, maxPoints, null, EpochRow.FIELDS);
        io.trainwatch.metrics.security.Caller caller = access.caller();
        return queries.runs(ids).chain(found -> {
            Map<String, RunRow> byId = found.stream().collect(Collectors.toMap(RunRow::id, Function.identity()));
            for (String id : ids) {
                // Another project's run answers like an unknown one: a limited token learns nothing of it.
                if (!byId.containsKey(id) || !caller.sees(byId.get(id).project())) {
                    throw ProblemException.runNotFound(id);
                }
            }
            List<Uni<ObjectNode>> parts = new ArrayList<>();
            for (String id : ids) {
                RunRow run = byId.get(id);
                parts.add(Uni.combine().all().unis(queries.epochs(run, null), analysis.headline(run)).asTuple().map(t -> {
                    ObjectNode n = views.summary(run);
                    t.getItem2().ifPresent(h -> n.set("analysis", h));
                    List<EpochRow> rows = t.getItem1();
                    if (query.maxPoints() != null && rows.size() > query.maxPoints()) {
                        rows = Downsampler.downsample(rows, query.fields(), query.maxPoints());
                        n.put("downsampled", true);
                    }
                    ArrayNode epochs = n.putArray("epochs");
                    for (EpochRow row : rows) {
                        ObjectNode e = epochs.addObject();
                        e.put("epoch", row.epoch());
                        for (String f : query.fields()) {
                            Object v = row.get(f);
                            if (v != null) {
                                e.set(f, mapper.valueToTree(v));
                            }
                        }
                    }
                    return n;
                }));
            }
            // One run after the other keeps the pool free for others; a compare is rare and small.
            return Uni.join().all(parts).andFailFast().map(nodes -> {
                ObjectNode body = mapper.createObjectNode();
                ArrayNode arr = body.putArray("runs");
                nodes.forEach(arr::add);
                return Response.ok(body).build();
            });
        });
    }
}
