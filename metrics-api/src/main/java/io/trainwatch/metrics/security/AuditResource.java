package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.history.QueryParameterException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
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
    @Operation(summary = "Audit entries, newest first: run_id= filters, limit= (1 to 1000, default 100)")
    public Uni<Response> list(@QueryParam("run_id") String runId, @QueryParam("limit") String limit) {
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
