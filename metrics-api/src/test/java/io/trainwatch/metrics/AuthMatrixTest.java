package io.trainwatch.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operation of the OpenAPI document (so a new endpoint cannot be forgotten) and every MCP tool, each with
 * {no token, malformed, unknown, revoked, expired, wrong scope, wrong project, right token}: 401, 403 (or 404 for
 * another project's run), or allowed — allowed meaning neither 401 nor 403 nor 5xx, since the matrix sends no valid
 * body where one would be needed. The expected scope of each operation is written here, independently of the server's
 * table: an operation missing here fails the test.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class AuthMatrixTest {

    /** Expected scope per "METHOD path" of the OpenAPI document; "any" = any valid token. */
    static final Map<String, String> EXPECTED = Map.ofEntries(
            Map.entry("GET /api/v1/runs", "read"),
            Map.entry("POST /api/v1/runs", "ingest"),
            Map.entry("GET /api/v1/runs/{id}", "read"),
            Map.entry("POST /api/v1/runs/{id}/finish", "ingest"),
            Map.entry("POST /api/v1/runs/{id}/heartbeat", "ingest"),
            Map.entry("POST /api/v1/runs/{id}/cancel", "control"),
            Map.entry("DELETE /api/v1/runs/{id}", "control"),
            Map.entry("GET /api/v1/runs/{id}/metrics", "read"),
            Map.entry("POST /api/v1/runs/{id}/metrics", "ingest"),
            Map.entry("GET /api/v1/runs/{id}/steps", "read"),
            Map.entry("POST /api/v1/runs/{id}/steps", "ingest"),
            // A trainer polls its run's control state with the token it ingests with; an agent with a read token.
            Map.entry("GET /api/v1/runs/{id}/control", "read|ingest"),
            Map.entry("GET /api/v1/schemas", "read"),
            Map.entry("GET /api/v1/schemas/{ce_type}", "read"),
            Map.entry("GET /api/v1/runs/{id}/analysis", "read"),
            Map.entry("GET /api/v1/runs/{id}/alerts", "read"),
            Map.entry("GET /api/v1/runs/{id}/events", "read"),
            Map.entry("GET /api/v1/events", "read"),
            Map.entry("GET /api/v1/compare", "read"),
            Map.entry("GET /api/v1/tokens", "admin"),
            Map.entry("POST /api/v1/tokens", "admin"),
            Map.entry("GET /api/v1/tokens/self", "any"),
            Map.entry("DELETE /api/v1/tokens/{token}", "admin"),
            Map.entry("GET /api/v1/audit", "admin"));

    static final List<String> SCOPES = List.of("read", "ingest", "control", "admin");
    static final Map<String, String> TOOL_SCOPES = Map.of("list_runs", "read", "get_run", "read",
            "get_training_metrics", "read", "analyze_run", "read", "get_alerts", "read", "compare_runs", "read",
            "cancel_run", "control", "delete_run", "control");

    @TestHTTPResource("/")
    URI base;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper mapper = new ObjectMapper();

    @BeforeEach
    void noDefaultToken() {
        RestAssured.requestSpecification = null;
    }

    /** The token cases: name → Authorization header value (null: none sent). */
    private Map<String, String> tokens(String scope, String runProject) {
        String tag = Long.toString(System.nanoTime());
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("no token", null);
        cases.put("malformed", "Token abc");
        cases.put("unknown", "Bearer tw_unknown_" + tag);
        String revoked = TestTokens.create("m-revoked-" + tag, SCOPES, List.of());
        TestTokens.revoke("m-revoked-" + tag);
        cases.put("revoked", TestTokens.bearer(revoked));
        String expired = TestTokens.create("m-expired-" + tag, SCOPES, List.of(), Instant.now().plusSeconds(1).toString());
        cases.put("expired", TestTokens.bearer(expired));
        List<String> allowed = List.of(scope.split("\\|"));
        if (!scope.equals("any")) {
            List<String> others = new ArrayList<>(SCOPES);
            others.removeAll(allowed);
            others.remove("admin");
            cases.put("wrong scope", TestTokens.bearer(TestTokens.create("m-scope-" + tag, others, List.of())));
        }
        if (!scope.equals("admin") && !scope.equals("any")) {
            cases.put("wrong project", TestTokens.bearer(TestTokens.create("m-project-" + tag,
                    List.of("read", "ingest", "control"), List.of(runProject + "-other"))));
        }
        cases.put("right token", TestTokens.bearer(TestTokens.create("m-right-" + tag,
                scope.equals("any") ? List.of("read") : List.of(allowed.get(0)), List.of())));
        // The expired token must have expired, and the revoked one be gone, before the matrix runs.
        await().atMost(Duration.ofSeconds(5)).until(() -> status("GET", "/api/v1/tokens/self", cases.get("expired"), null) == 401
                && status("GET", "/api/v1/tokens/self", cases.get("revoked"), null) == 401);
        return cases;
    }

    @Test
    void everyOperationOfTheOpenApiDocumentRefusesWhatItShould() throws Exception {
        String project = "proj-matrix";
        String runId = TestRuns.newRunId("matrix");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, project, 10));
        // DELETE gets a run of its own: the right token deletes it, and the other operations still find theirs.
        String doomed = TestRuns.newRunId("matrix-doomed");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(doomed, project, 10));
        await().atMost(IngestTest.WAIT).until(() -> status("GET", "/api/v1/runs/" + runId, TestAuth.HEADER, null) == 200
                && status("GET", "/api/v1/runs/" + doomed, TestAuth.HEADER, null) == 200);

        JsonNode doc = mapper.readTree(given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().asString());
        List<String> operations = new ArrayList<>();
        List<String> misdocumented = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> methods = path.getValue().fields(); methods.hasNext(); ) {
                Map.Entry<String, JsonNode> m = methods.next();
                String method = m.getKey().toUpperCase();
                if (List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
                    String op = method + " " + path.getKey();
                    operations.add(op);
                    String documented = documentedScopes(m.getValue());
                    if (EXPECTED.containsKey(op) && !EXPECTED.get(op).equals(documented)) {
                        misdocumented.add(op + ": the document says " + documented + ", expected " + EXPECTED.get(op));
                    }
                }
            }
        }
        List<String> missing = operations.stream().filter(op -> !EXPECTED.containsKey(op)).toList();
        List<String> gone = EXPECTED.keySet().stream().filter(op -> !operations.contains(op)).toList();
        assertTrue(gone.isEmpty(), "operations expected but not in the OpenAPI document: " + gone);
        assertTrue(missing.isEmpty(), "operations without an expected scope in this test (add them): " + missing);
        assertTrue(misdocumented.isEmpty(), "the document's security states other scopes: " + misdocumented);

        Map<String, Map<String, String>> tokensByScope = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        int cells = 0;
        for (String op : operations) {
            String scope = EXPECTED.get(op);
            Map<String, String> cases = tokensByScope.computeIfAbsent(scope, s -> tokens(s, project));
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1).replace("{id}", method.equals("DELETE") ? doomed : runId).replace("{token}", "no-such-token")
                    .replace("{ce_type}", "io.trainwatch.epoch.completed");
            if (path.equals("/api/v1/compare")) {
                path += "?run=" + runId;
            }
            String body = method.equals("POST") ? (path.equals("/api/v1/runs")
                    ? TestRuns.startedJson(TestRuns.newRunId("matrix-post"), project) : "{}") : null;
            for (Map.Entry<String, String> c : cases.entrySet()) {
                int got = status(method, path, c.getValue(), body);
                cells++;
                String expected = expectation(c.getKey(), op);
                boolean ok = switch (expected) {
                    case "401" -> got == 401;
                    case "403" -> got == 403;
                    case "404" -> got == 404;
                    default -> got != 401 && got != 403 && got < 500;
                };
                if (!ok) {
                    failures.add(op + " with " + c.getKey() + ": expected " + expected + ", got " + got);
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cells + " cells wrong:\n" + String.join("\n", failures));
    }

    /** The scopes an operation's security accepts, as EXPECTED writes them ("read|ingest"; "any": any token). */
    private static String documentedScopes(JsonNode operation) {
        List<String> scopes = new ArrayList<>();
        operation.path("security").forEach(alternative -> alternative.path("bearer").forEach(s -> scopes.add(s.asText())));
        return scopes.isEmpty() ? "any" : String.join("|", scopes);
    }

    /** What a token case must get on an operation. */
    private static String expectation(String tokenCase, String op) {
        return switch (tokenCase) {
            case "no token", "malformed", "unknown", "revoked", "expired" -> "401";
            case "wrong scope" -> "403";
            // Another project's run is answered as unknown; creating a run in another project is forbidden; lists and
            // streams answer, filtered (SecurityTest checks the filtering).
            case "wrong project" -> op.contains("{id}") ? "404" : op.equals("POST /api/v1/runs") ? "403" : "allowed";
            default -> "allowed";
        };
    }

    @Test
    void everyMcpToolChecksItsScopeAndProject() throws Exception {
        String project = "proj-mcp-matrix";
        String runId = TestRuns.newRunId("mcp-matrix");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, project, 10));
        await().atMost(IngestTest.WAIT).until(() -> status("GET", "/api/v1/runs/" + runId, TestAuth.HEADER, null) == 200);
        String tag = Long.toString(System.nanoTime());
        String reader = TestTokens.bearer(TestTokens.create("mcp-read-" + tag, List.of("read"), List.of()));
        String ingester = TestTokens.bearer(TestTokens.create("mcp-ingest-" + tag, List.of("ingest"), List.of()));
        String controller = TestTokens.bearer(TestTokens.create("mcp-control-" + tag, List.of("control"), List.of()));
        String otherProject = TestTokens.bearer(TestTokens.create("mcp-other-" + tag, List.of("read", "control"),
                List.of(project + "-other")));

        assertEquals(401, mcpInitialize(null).statusCode());
        assertEquals(401, mcpInitialize("Bearer tw_unknown_" + tag).statusCode());
        ObjectNode unauthenticatedCancel = mapper.createObjectNode().put("jsonrpc", "2.0").put("id", 9).put("method", "tools/call");
        unauthenticatedCancel.putObject("params").put("name", "cancel_run").putObject("arguments").put("run_id", runId)
                .put("reason", "not mine");
        HttpResponse<String> refused = http.send(mcpRequest(null, null, unauthenticatedCancel), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), refused.headers().toString());
        // delete_run gets a run of its own, so that the right token's deletion leaves the other tools theirs.
        String doomed = TestRuns.newRunId("mcp-matrix-doomed");
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(doomed, project, 10));
        await().atMost(IngestTest.WAIT).until(() -> status("GET", "/api/v1/runs/" + doomed, TestAuth.HEADER, null) == 200);
        for (Map.Entry<String, String> tool : TOOL_SCOPES.entrySet()) {
            String name = tool.getKey();
            ObjectNode args = mapper.createObjectNode();
            if (name.equals("compare_runs")) {
                args.putArray("run_ids").add(runId);
            } else if (name.equals("delete_run")) {
                args.put("run_id", doomed);
            } else if (!name.equals("list_runs")) {
                args.put("run_id", runId);
            }
            if (name.equals("cancel_run")) {
                // No reason: the right token gets the argument error, never the cancel itself.
                args.put("requested_by", "matrix");
            }
            String right = tool.getValue().equals("read") ? reader : controller;
            String wrong = tool.getValue().equals("read") ? ingester : reader;
            // The right token last: delete_run's deletes the run the others must still find.
            // Refused at the HTTP level like the REST route (MCP authorization: 403 insufficient_scope).
            HttpResponse<String> wrongAnswer = callToolResponse(wrong, name, args);
            assertEquals(403, wrongAnswer.statusCode(), name + " with the wrong scope: " + wrongAnswer.body());
            assertTrue(wrongAnswer.body().contains("lacks the scope " + tool.getValue()), name + ": " + wrongAnswer.body());
            assertEquals("Bearer realm=\"trainwatch\", error=\"insufficient_scope\", scope=\"" + tool.getValue() + "\"",
                    wrongAnswer.headers().firstValue("WWW-Authenticate").orElse(null), name);
            String otherAnswer = callTool(otherProject, name, args);
            if (name.equals("list_runs")) {
                assertTrue(!otherAnswer.contains(runId), "list_runs showed another project's run: " + otherAnswer);
            } else {
                assertTrue(otherAnswer.contains("\"isError\":true") && otherAnswer.contains("not found"),
                        name + " with another project's token: " + otherAnswer);
            }
            String rightAnswer = callTool(right, name, args);
            assertTrue(!rightAnswer.contains("lacks the scope") && !rightAnswer.contains("Run not found")
                    && !rightAnswer.contains("Internal error"), name + " with the right token: " + rightAnswer);
        }
        // delete_run with the right token deleted its run
        assertEquals(404, status("GET", "/api/v1/runs/" + doomed, TestAuth.HEADER, null));
        // the refused control calls are audited with the refused token's name, or as unauthenticated (written
        // asynchronously)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("Authorization", TestAuth.HEADER)
                .queryParam("run_id", runId).get("/api/v1/audit").then().statusCode(200)
                .body("entries.findAll { it.action == 'mcp cancel_run' && it.outcome == 'refused' }.principal",
                        org.hamcrest.Matchers.hasItems("mcp-read-" + tag, "(unauthenticated)")));
    }

    private HttpResponse<String> mcpInitialize(String authorization) throws Exception {
        ObjectNode init = mapper.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", "initialize");
        init.putObject("params").put("protocolVersion", "2025-03-26").putObject("clientInfo").put("name", "matrix")
                .put("version", "1");
        ((ObjectNode) init.get("params")).putObject("capabilities");
        return http.send(mcpRequest(authorization, null, init), HttpResponse.BodyHandlers.ofString());
    }

    /** A fresh session per call, as a client with that token would open; the tools/call answer's text. */
    private String callTool(String authorization, String tool, ObjectNode args) throws Exception {
        HttpResponse<String> answer = callToolResponse(authorization, tool, args);
        assertEquals(200, answer.statusCode(), tool + ": " + answer.body());
        return answer.body();
    }

    private HttpResponse<String> callToolResponse(String authorization, String tool, ObjectNode args) throws Exception {
        HttpResponse<String> init = mcpInitialize(authorization);
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElse(null);
        ObjectNode initialized = mapper.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/initialized");
        http.send(mcpRequest(authorization, session, initialized), HttpResponse.BodyHandlers.ofString());
        ObjectNode call = mapper.createObjectNode().put("jsonrpc", "2.0").put("id", 2).put("method", "tools/call");
        call.putObject("params").put("name", tool).set("arguments", args);
        return http.send(mcpRequest(authorization, session, call), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest mcpRequest(String authorization, String session, ObjectNode body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/mcp")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body)));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (session != null) {
            b.header("Mcp-Session-Id", session);
        }
        return b.build();
    }

    /** The status of one request; SSE responses are closed as soon as their status is known. */
    private int status(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Accept", path.endsWith("/events") ? "text/event-stream" : "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.body().close();
        return r.statusCode();
    }
}
