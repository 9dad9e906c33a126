package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.rest.JsonBodies;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.ProblemMapper;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;

/** Token management (admin): create (the secret is shown once), list, revoke; and who the caller is. */
@Path("/api/v1/tokens")
@Tag(name = "security")
@Produces(MediaType.APPLICATION_JSON)
public class TokensResource {

    static final String EXAMPLE_REQUEST = "{\"name\": \"loss-agent\", \"scopes\": [\"read\", \"control\"], "
            + "\"projects\": [\"demo\"], \"expires_at\": \"2030-01-01T00:00:00Z\"}";
    static final String EXAMPLE_CREATED = "{\"id\": 7, \"name\": \"loss-agent\", \"scopes\": [\"read\", \"control\"], "
            + "\"projects\": [\"demo\"], \"source\": \"api\", \"created_at\": \"2026-01-01T00:00:00Z\", "
            + "\"expires_at\": \"2030-01-01T00:00:00Z\", \"secret\": \"tw_3q2+7w...\"}";

    @Inject
    TokenStore store;

    @Inject
    AuditLog audit;

    @Inject
    TokenCache cache;

    @Inject
    Access access;

    @Inject
    JsonBodies bodies;

    @Inject
    ObjectMapper mapper;

    @POST
    @Operation(operationId = "createToken", summary = "Create a token",
            description = "The answer carries the token's secret: it is shown only this once (the server keeps its "
                    + "hash). Audited as token.create.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "TokenRequest"), examples = @ExampleObject(name = "agent", value = EXAMPLE_REQUEST)))
    @APIResponse(responseCode = "201", description = "Created; the secret is in this answer only",
            headers = @Header(name = "Location", description = "/api/v1/tokens/{id}",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "TokenCreated"),
                    examples = @ExampleObject(name = "created", value = EXAMPLE_CREATED)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "409", ref = "TokenExists")
    @APIResponse(responseCode = "422", ref = "InvalidFields")
    public Uni<Response> create(byte[] body, @Context RoutingContext rc) {
        JsonNode doc = bodies.parse(body);
        if (!doc.isObject()) {
            throw ProblemException.invalid(List.of(new ProblemException.FieldError("$", "must be a JSON object")));
        }
        ApiToken t = new ApiToken();
        try {
            t.name = TokenSpec.name("name", doc.path("name").isTextual() ? doc.get("name").asText() : null);
            Set<Scope> scopes = TokenSpec.scopes("scopes", strings("scopes", doc.get("scopes")));
            SortedSet<String> projects = TokenSpec.projects("projects", strings("projects", doc.get("projects")), scopes);
            t.scopes = TokenSpec.joinScopes(scopes);
            t.projects = TokenSpec.joinProjects(projects);
            t.expiresAt = expiry(doc.get("expires_at"));
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        t.source = "api";
        String secret = TokenSecrets.newSecret();
        t.secretHash = TokenSecrets.hash(secret);
        Caller by = access.caller();
        return store.liveNamed(t.name).chain(existing -> {
            if (existing != null) {
                throw new ProblemException(409, "token-exists", "Token exists", "a live token is already named \""
                        + t.name + "\"; revoke it first or choose another name",
                        List.of(new ProblemException.FieldError("name", "already used by a live token")));
            }
            return store.create(t);
        }).call(created -> audit.record(by.name(), AuthFilter.remote(rc), "token.create", AuditLog.ALLOWED, null,
                "token " + created.name + " (id " + created.id + ", scopes " + created.scopes + ")"))
                // This replica knows the token before the secret is handed out: a caller may use it at once (the
                // others learn it from the NOTIFY a moment later).
                .call(created -> cache.reload())
                .map(created -> {
                    ObjectNode n = view(created);
                    n.put("secret", secret);
                    return Response.created(URI.create("/api/v1/tokens/" + created.id)).entity(n).build();
                });
    }

    @GET
    @Operation(operationId = "listTokens", summary = "List tokens",
            description = "Every token, revoked ones included; never a secret or its hash.")
    @APIResponse(responseCode = "200", description = "The tokens", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "TokenList")))
    public Uni<Response> list() {
        return store.all().map(tokens -> {
            ObjectNode body = mapper.createObjectNode();
            ArrayNode list = body.putArray("tokens");
            tokens.forEach(t -> list.add(view(t)));
            return Response.ok(body).build();
        });
    }

    @GET
    @Path("self")
    @Operation(operationId = "getCallingToken", summary = "Who am I",
            description = "The calling token's name, scopes and projects.")
    @APIResponse(responseCode = "200", description = "The calling token", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "TokenSelf")))
    public Response self() {
        Caller c = access.caller();
        ObjectNode n = mapper.createObjectNode();
        n.put("name", c.name());
        ArrayNode scopes = n.putArray("scopes");
        c.scopes().forEach(s -> scopes.add(s.wire()));
        if (c.projects() != null) {
            ArrayNode projects = n.putArray("projects");
            c.projects().forEach(projects::add);
        }
        return Response.ok(n).build();
    }

    @DELETE
    @Path("{token}")
    // 204 has no body: only a problem can come back, so a client accepting only problem+json (what a generated client
    // sends here) must not get a 406.
    @Produces({MediaType.APPLICATION_JSON, ProblemMapper.PROBLEM_JSON})
    @Operation(operationId = "revokeToken", summary = "Revoke a token",
            description = "By id or name; every replica refuses it within a second. Audited as token.revoke.")
    @APIResponse(responseCode = "204", description = "Revoked")
    @APIResponse(responseCode = "404", ref = "TokenNotFound")
    public Uni<Response> revoke(@Parameter(description = "The token's id or name") @PathParam("token") String idOrName,
                                @Context RoutingContext rc) {
        Caller by = access.caller();
        Uni<ApiToken> target = idOrName.matches("[0-9]{1,18}") ? store.live(Long.parseLong(idOrName))
                : store.liveNamed(idOrName);
        return target.chain(t -> {
            if (t == null) {
                throw new ProblemException(404, "token-not-found", "Token not found", "no live token with id or name \""
                        + idOrName + "\"", List.of());
            }
            return store.revoke(t.id).call(revoked -> audit.record(by.name(), AuthFilter.remote(rc), "token.revoke",
                    AuditLog.ALLOWED, null, "token " + t.name + " (id " + t.id + ")"))
                    .call(revoked -> cache.reload()); // refused here from the 204 on; elsewhere within a second
        }).map(revoked -> Response.noContent().build());
    }

    ObjectNode view(ApiToken t) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", t.id);
        n.put("name", t.name);
        ArrayNode scopes = n.putArray("scopes");
        t.scopeSet().forEach(s -> scopes.add(s.wire()));
        if (t.projects != null) {
            ArrayNode projects = n.putArray("projects");
            t.projectSet().forEach(projects::add);
        }
        n.put("source", t.source);
        putTime(n, "created_at", t.createdAt);
        putTime(n, "last_used_at", t.lastUsedAt);
        putTime(n, "expires_at", t.expiresAt);
        putTime(n, "revoked_at", t.revokedAt);
        return n;
    }

    private static void putTime(ObjectNode n, String field, Instant at) {
        if (at != null) {
            n.put(field, at.toString());
        }
    }

    private static List<String> strings(String field, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(field + ": must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : node) {
            if (!e.isTextual()) {
                throw new IllegalArgumentException(field + ": must be an array of strings, had " + e.getNodeType());
            }
            out.add(e.asText());
        }
        return out;
    }

    private static Instant expiry(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            Instant at = Instant.parse(node.asText());
            if (!at.isAfter(Instant.now())) {
                throw new IllegalArgumentException("expires_at: must be in the future, was " + at);
            }
            return at;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("expires_at: must be an RFC 3339 time such as 2030-01-01T00:00:00Z");
        }
    }

    private static ProblemException invalid(String message) {
        int colon = message.indexOf(": ");
        String field = colon > 0 ? message.substring(0, colon) : "$";
        String rule = colon > 0 ? message.substring(colon + 2) : message;
        return ProblemException.invalid(List.of(new ProblemException.FieldError(field, rule)));
    }
}
