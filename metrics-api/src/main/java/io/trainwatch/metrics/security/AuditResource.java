package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.QueryParameterException;
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
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit log (admin): cancels, token changes and refused control attempts, newest first. */
@Path("/api/v1/audit")
@Tag(name = "security")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    @Inject
    AuditLog audit;

    @Inject
    ObjectMapper mapper;

    @GET
    @Operation(operationId = "listAuditEntries", summary = "Read the audit log",
            description = "Cancels, token changes and refused control attempts, newest first.")
    @APIResponse(responseCode = "200", description = "The newest entries", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "AuditPage")))
    public Uni<Response> list(
            @Parameter(description = "Only entries about this run") @QueryParam("run_id") String runId,
            @Parameter(description = "How many entries", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "" + MAX_LIMIT, defaultValue = "" + DEFAULT_LIMIT)) @QueryParam("limit") String limit) {
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                throw new QueryParameterException("limit", "must be an integer, was \"" + limit + "\"");
            }
            if (n < 1 || n > MAX_LIMIT) {
                throw new QueryParameterException("limit", "must be >= 1 and <= " + MAX_LIMIT + ", was " + n);
            }
        }
        return audit.recent(runId == null || runId.isBlank() ? null : runId, n).map(entries -> {
            ObjectNode body = mapper.createObjectNode();
            ArrayNode list = body.putArray("entries");
            for (AuditEntry e : entries) {
                ObjectNode a = list.addObject();
                a.put("id", e.id);
                a.put("at", e.at.toString());
                a.put("principal", e.principal);
                a.put("remote_address", e.remoteAddress);
                a.put("action", e.action);
                a.put("outcome", e.outcome);
                a.put("run_id", e.runId);
                a.put("detail", e.detail);
            }
            return Response.ok(body).build();
        });
    }
}
