package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.rest.ProblemMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.time.Instant;
import java.util.List;

/**
 * Authenticates every request before it reaches a route, on the event loop and without I/O: the bearer token is
 * looked up in {@link TokenCache}; the route's scope comes from {@link RouteRules}. Answers 401 (with
 * {@code WWW-Authenticate: Bearer}) or 403 as problem+json, and leaves the {@link Caller} in the request's context for
 * the project checks further in. Tokens are read from the {@code Authorization} header only — never a cookie, so a
 * forged cross-site request carries none — except on the two SSE routes, where {@code ?access_token=} is accepted
 * because a browser's EventSource cannot set headers.
 */
@ApplicationScoped
public class AuthFilter {

    /** After Quarkus' CORS filter (so preflights are answered first), before every route. */
    static final int PRIORITY = 100;
    static final String QUERY_TOKEN = "access_token";

    @Inject
    MetricsConfig config;

    @Inject
    TokenCache cache;

    @Inject
    ProblemMapper problems;

    @Inject
    AuditLog audit;

    @Inject
    ObjectMapper mapper;

    @Inject
    BodyLimitFilter bodyLimit;

    void register(@Observes Filters filters) {
        filters.register(this::handle, PRIORITY);
    }

    /**
     * An MCP {@code tools/call} whose tool needs a scope the token lacks is refused here, at the HTTP level, as the
     * REST route for the same action is: 403 problem+json with {@code WWW-Authenticate: Bearer
     * error="insufficient_scope"} (what the MCP authorization spec asks for). It runs after the filters (the caller is
     * known) and before the MCP server's route, which reads the body this handler has read.
     */
    void mcpToolScopes(@Observes Router router) {
        router.postWithRegex("/mcp(/.*)?").order(-1)
                .handler(BodyHandler.create(false).setBodyLimit(bodyLimit.limit()))
                .handler(this::checkToolCall);
    }

    void checkToolCall(RoutingContext rc) {
        Caller caller = rc.get(Caller.KEY);
        if (caller != null) {
            for (ToolCall call : toolCalls(rc.body().buffer() == null ? null : rc.body().buffer().getBytes())) {
                Scope needed = RouteRules.mcpTool(call.tool()).orElse(null);
                if (needed != null && !caller.has(needed)) {
                    if (needed == Scope.CONTROL) {
                        audit.recordLater(caller.name(), remote(rc), "mcp " + call.tool(), call.runId(),
                                "missing scope " + needed.wire());
                    }
                    refuse(rc, 403, "Bearer realm=\"trainwatch\", error=\"insufficient_scope\", scope=\""
                            + needed.wire() + "\"", Access.missingScope(caller, needed));
                    return;
                }
            }
        }
        rc.next();
    }

    /** One {@code tools/call} of an MCP request body. */
    record ToolCall(String tool, String runId) {
    }

    /** The tool calls in an MCP request body (one JSON-RPC message or a batch); none when it is not JSON. */
    List<ToolCall> toolCalls(byte[] body) {
        JsonNode json;
        try {
            json = body == null || body.length == 0 ? null : mapper.readTree(body);
        } catch (java.io.IOException notJson) {
            return List.of(); // the MCP server answers its own parse error
        }
        List<ToolCall> calls = new java.util.ArrayList<>();
        for (JsonNode message : json == null ? List.<JsonNode>of() : json.isArray() ? json : List.of(json)) {
            if ("tools/call".equals(message.path("method").asText())) {
                calls.add(new ToolCall(message.path("params").path("name").asText(),
                        message.path("params").path("arguments").path("run_id").asText(null)));
            }
        }
        return calls;
    }

    void handle(RoutingContext rc) {
        String method = rc.request().method().name();
        RouteRules.Rule rule = RouteRules.of(method, rc.normalizedPath());
        if (rule.open()) {
            rc.next();
            return;
        }
        if (rule.mcp() && !originAllowed(rc)) {
            refuse(rc, 403, null, new ProblemException(403, "origin-refused", "Origin not allowed",
                    "the Origin " + rc.request().getHeader(HttpHeaders.ORIGIN) + " may not call /mcp; allow it with "
                            + "trainwatch.auth.mcp-allowed-origins", List.of()));
            return;
        }
        if (!config.auth().enabled()) {
            proceed(rc, Caller.AUTH_DISABLED);
            return;
        }
        String token;
        try {
            token = token(rc, rule);
        } catch (IllegalArgumentException malformed) {
            unauthorized(rc, rule, "invalid_request", malformed.getMessage());
            return;
        }
        if (token == null) {
            unauthorized(rc, rule, null, "this endpoint needs a bearer token: send Authorization: Bearer <token>");
            return;
        }
        Caller caller = cache.find(TokenSecrets.hash(token), Instant.now()).orElse(null);
        if (caller == null) {
            unauthorized(rc, rule, "invalid_token", "the bearer token is unknown, revoked or expired");
            return;
        }
        if (!rule.anyOf().isEmpty() && rule.anyOf().stream().noneMatch(caller::has)) {
            Scope needed = rule.needed();
            if (RouteRules.isControl(rule)) {
                audit.recordLater(caller.name(), remote(rc), method + " " + rc.normalizedPath(), runId(rc),
                        "missing scope " + needed.wire());
            }
            refuse(rc, 403, null, Access.missingScope(caller, needed));
            return;
        }
        proceed(rc, caller);
    }

    private void proceed(RoutingContext rc, Caller caller) {
        rc.put(Caller.KEY, caller);
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.put(Caller.KEY, caller);
            String remote = remote(rc);
            if (remote != null) {
                ContextLocals.put(Access.REMOTE_KEY, remote);
            }
        }
        rc.next();
    }

    /** The bearer token, null when none was sent; IllegalArgumentException when one was sent malformed. */
    private static String token(RoutingContext rc, RouteRules.Rule rule) {
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header != null) {
            if (header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
                throw new IllegalArgumentException("Authorization: must be \"Bearer <token>\"");
            }
            return header.substring(7).trim();
        }
        if (rule.sse()) {
            List<String> q = rc.queryParam(QUERY_TOKEN);
            if (!q.isEmpty() && !q.get(0).isBlank()) {
                return q.get(0).trim();
            }
        }
        return null;
    }

    private void unauthorized(RoutingContext rc, RouteRules.Rule rule, String error, String detail) {
        if (RouteRules.isControl(rule)) {
            audit.recordLater("(unauthenticated)", remote(rc), rc.request().method().name() + " " + rc.normalizedPath(),
                    runId(rc), detail);
        }
        String challenge = "Bearer realm=\"trainwatch\"" + (error == null ? "" : ", error=\"" + error + "\"");
        ProblemException problem = new ProblemException(401, "unauthorized", "Unauthorized", detail, List.of());
        long length = contentLength(rc);
        if (rule.mcp() && rc.request().method() == HttpMethod.POST && length > 0 && length <= MCP_AUDIT_BODY_MAX) {
            // Which tool an MCP request calls is in its body: read it (small bodies only) so that an unauthenticated
            // cancel_run or delete_run is audited as the REST cancel is; refused either way.
            rc.request().body().onComplete(read -> {
                if (read.succeeded()) {
                    for (ToolCall call : toolCalls(read.result().getBytes())) {
                        if (RouteRules.mcpTool(call.tool()).orElse(null) == Scope.CONTROL) {
                            audit.recordLater("(unauthenticated)", remote(rc), "mcp " + call.tool(), call.runId(), detail);
                        }
                    }
                }
                refuse(rc, 401, challenge, problem);
            });
            rc.request().resume();
            return;
        }
        refuse(rc, 401, challenge, problem);
    }

    /** An MCP body larger than this is refused unread when it comes without a valid token. */
    private static final long MCP_AUDIT_BODY_MAX = 64 * 1024;

    private static long contentLength(RoutingContext rc) {
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            return length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void refuse(RoutingContext rc, int status, String challenge, ProblemException problem) {
        Response r = problems.toResponse(problem);
        var response = rc.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON);
        if (challenge != null) {
            response.putHeader("WWW-Authenticate", challenge);
        }
        response.end(String.valueOf(r.getEntity()));
    }

    /**
     * The MCP transport spec asks servers to check Origin against DNS rebinding: a browser page must not reach a
     * local MCP server. No Origin (every non-browser client) is fine; otherwise the server's own origin or one on the
     * allow-list.
     */
    private boolean originAllowed(RoutingContext rc) {
        String origin = rc.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            return true;
        }
        List<String> allowed = config.auth().mcpAllowedOrigins().orElse(List.of());
        if (allowed.contains(origin)) {
            return true;
        }
        try {
            URI o = URI.create(origin);
            String host = rc.request().getHeader(HttpHeaders.HOST);
            return host != null && o.getRawAuthority() != null && o.getRawAuthority().equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String remote(RoutingContext rc) {
        var address = rc.request().remoteAddress();
        return address == null ? null : address.hostAddress();
    }

    private static String runId(RoutingContext rc) {
        List<String> p = RouteRules.segments(rc.normalizedPath());
        return p.size() >= 4 && p.get(2).equals("runs") ? p.get(3) : null;
    }
}
