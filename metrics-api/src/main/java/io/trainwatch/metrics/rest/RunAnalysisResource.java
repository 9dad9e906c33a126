package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.HistoryResponses;
import io.trainwatch.metrics.read.RunReads;
import jakarta.inject.Inject;
import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A run's health verdict (computed on write) and its alerts. */
@Path("/api/v1/runs/{id}")
@Tag(name = "analysis")
@Produces(MediaType.APPLICATION_JSON)
public class RunAnalysisResource {

    @Inject
    RunReads reads;

    @Inject
    ObjectMapper mapper;

    /**
     * The verdict with a strong ETag, the hash of the body itself: it changes exactly when the verdict or the run's
     * status does, so an agent polling with {@code If-None-Match} gets {@code 304} and no body until a new epoch
     * has been analysed.
     */
    @GET
    @Path("analysis")
    @Operation(operationId = "getRunAnalysis", summary = "Get a run's verdict",
            description = "Trends, overfitting, plateau, divergence, gradients, forecast, the recommendation and the "
                    + "open alerts, computed when the epochs were stored. Strong ETag: 304 with If-None-Match until a "
                    + "new epoch has been analysed or the status changed.")
    @APIResponse(responseCode = "200", description = "The verdict",
            headers = {@Header(name = "ETag", description = "Strong; send it back as If-None-Match",
                    schema = @Schema(type = SchemaType.STRING)),
                    @Header(name = "Cache-Control", schema = @Schema(type = SchemaType.STRING))},
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "RunAnalysis")))
    @APIResponse(responseCode = "304", description = "Not modified: the If-None-Match ETag is current",
            headers = @Header(name = "ETag", schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> analysis(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId"))
                                  @PathParam("id") String id,
                                  @Parameter(description = "An ETag of a previous answer: 304 while nothing changed")
                                  @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return reads.verdict(id).map(doc -> {
            byte[] body = bytes(doc);
            String etag = etag(body);
            if (HistoryResponses.matches(ifNoneMatch, etag)) {
                return Response.notModified(new EntityTag(etag)).build();
            }
            return Response.ok(body).type(MediaType.APPLICATION_JSON).tag(new EntityTag(etag))
                    .header("Cache-Control", "no-cache").build();
        });
    }

    private byte[] bytes(JsonNode doc) {
        try {
            return mapper.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("verdict could not be rendered", e);
        }
    }

    /** The strong ETag (unquoted) of a rendered verdict: 96 bits of its SHA-256. */
    static String etag(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @GET
    @Path("alerts")
    @Operation(operationId = "listRunAlerts", summary = "List a run's alerts", description = "Open and resolved.")
    @APIResponse(responseCode = "200", description = "The alerts", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "AlertList"),
            examples = @ExampleObject(name = "alerts", value = "{\"run_id\": \"r-42\", \"alerts\": [{\"id\": "
                    + "\"overfitting@36\", \"kind\": \"overfitting\", \"severity\": \"warning\", \"opened_epoch\": 36, "
                    + "\"state\": \"open\", \"message\": \"validation loss rising\"}]}")))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "RunNotFound")
    public Uni<Response> alerts(@Parameter(description = "The run id", schema = @Schema(ref = "ContractRunId")) @PathParam("id") String id,
                                @Parameter(description = "Only open or only resolved alerts",
                                        schema = @Schema(enumeration = {"open", "resolved"}))
                                @QueryParam("state") String state) {
        return reads.alerts(id, state).map(body -> Response.ok(body).build());
    }
}
