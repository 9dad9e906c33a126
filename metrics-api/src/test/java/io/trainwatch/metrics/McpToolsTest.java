package io.trainwatch.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.stack.LocalStackTestResource;
import io.trainwatch.testsupport.SseClient;
import io.trainwatch.testsupport.SseLineParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MCP server as an agent sees it: a raw JSON-RPC 2.0 client over streamable HTTP (JDK HttpClient), no MCP library,
 * so the test proves the wire protocol the docs describe.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class McpToolsTest {

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    static final List<String> TOOLS = List.of("list_runs", "get_run", "get_training_metrics", "analyze_run",
            "get_alerts", "compare_runs", "cancel_run", "delete_run");

    @TestHTTPResource("/mcp")
    URI mcp;

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicInteger ids = new AtomicInteger();
    private String sessionId;

    @Test
    void anAgentListsToolsAnalysesAndCancelsARunOverMcp() throws Exception {
        String runId = TestRuns.newRunId("mcp");
        given().contentType(ContentType.JSON)
                .body("{\"run_id\":\"" + runId + "\",\"name\":\"mcp-run\",\"project\":\"proj-mcp\",\"total_epochs\":40}")
                .post("/api/v1/runs").then().statusCode(202);
        StringBuilder epochs = new StringBuilder("[");
        for (int e = 0; e < 12; e++) {
            double train = 1.0 / (1 + e * 0.1);
            double val = 1.05 / (1 + e * 0.08);
            epochs.append(e == 0 ? "" : ",").append("{\"epoch\":").append(e).append(",\"train_loss\":").append(train)
                    .append(",\"val_loss\":").append(val).append('}');
        }
        given().contentType(ContentType.JSON).body(epochs.append(']').toString())
                .post("/api/v1/runs/{id}/metrics", runId).then().statusCode(202).body("accepted", equalTo(12));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}/analysis", runId).then()
                .statusCode(200).body("epoch", equalTo(11)));

        // initialize → notifications/initialized
        JsonNode init = request("initialize", mapper.createObjectNode().put("protocolVersion", "2025-03-26")
                .<ObjectNode>set("capabilities", mapper.createObjectNode())
                .set("clientInfo", mapper.createObjectNode().put("name", "mcp-tools-test").put("version", "1")));
        assertEquals("trainwatch", init.at("/result/serverInfo/name").asText(), init.toString());
        assertTrue(init.at("/result/capabilities").has("tools"), init.toString());
        notify("notifications/initialized");

        // tools/list: every tool, each with a description and an input schema
        JsonNode tools = request("tools/list", mapper.createObjectNode()).at("/result/tools");
        Set<String> names = new HashSet<>();
        for (JsonNode t : tools) {
            names.add(t.get("name").asText());
            assertTrue(t.path("description").asText().length() > 40, "description of " + t);
            assertEquals("object", t.at("/inputSchema/type").asText(), "input schema of " + t);
        }
        assertTrue(names.containsAll(TOOLS), "tools: " + names);
        JsonNode cancelTool = null;
        for (JsonNode t : tools) {
            if (t.get("name").asText().equals("cancel_run")) {
                cancelTool = t;
            }
        }
        assertNotNull(cancelTool);
        assertTrue(cancelTool.at("/inputSchema/properties").has("reason"), cancelTool.toString());

        // analyze_run: the same verdict as GET /analysis
        JsonNode verdict = toolJson(call("analyze_run", mapper.createObjectNode().put("run_id", runId)));
        assertEquals(runId, verdict.get("run_id").asText());
        assertEquals(11, verdict.get("epoch").asInt());
        assertTrue(verdict.at("/recommendation").has("action"), verdict.toString());

        JsonNode run = toolJson(call("get_run", mapper.createObjectNode().put("run_id", runId)));
        assertEquals("running", run.get("status").asText(), run.toString());
        assertEquals(11, run.get("latest_epoch").asInt(), run.toString());

        JsonNode history = toolJson(call("get_training_metrics", mapper.createObjectNode().put("run_id", runId)
                .put("since_epoch", 8).put("fields", "train_loss,val_loss")));
        assertEquals("[9, 10, 11]", history.get("epochs").findValues("epoch").toString(), history.toString());

        JsonNode listed = toolJson(call("list_runs", mapper.createObjectNode().put("project", "proj-mcp")));
        assertEquals(runId, listed.at("/runs/0/run_id").asText(), listed.toString());

        // failures are tool errors with one clear line
        JsonNode noReason = call("cancel_run", mapper.createObjectNode().put("run_id", runId));
        assertToolError(noReason, "reason");
        JsonNode unknown = call("get_run", mapper.createObjectNode().put("run_id", "no-such-run"));
        assertToolError(unknown, "no run with id \"no-such-run\"");

        JsonNode cancelled = call("cancel_run", mapper.createObjectNode().put("run_id", runId)
                .put("reason", "overfitting since epoch 9").put("requested_by", "mcp-test"));
        assertFalse(cancelled.at("/result/isError").asBoolean(), cancelled.toString());
        assertEquals("cancelling", toolJson(cancelled).get("status").asText());
        given().get("/api/v1/runs/{id}", runId).then().body("status", equalTo("cancelling"))
                .body("cancel.reason", equalTo("overfitting since epoch 9"))
                .body("cancel.requested_by", equalTo("test-admin"));

        // delete_run: says it is irreversible; deletes; a second delete is a tool error naming the run
        for (JsonNode t : tools) {
            if (t.get("name").asText().equals("delete_run")) {
                assertTrue(t.get("description").asText().contains("IRREVERSIBLY"), t.toString());
            }
        }
        JsonNode deleted = call("delete_run", mapper.createObjectNode().put("run_id", runId));
        assertFalse(deleted.at("/result/isError").asBoolean(), deleted.toString());
        assertTrue(toolJson(deleted).get("deleted").asBoolean(), deleted.toString());
        given().get("/api/v1/runs/{id}", runId).then().statusCode(404);
        // audited with the token's name, as REST's DELETE is (the tool calls it)
        given().queryParam("run_id", runId).get("/api/v1/audit").then().statusCode(200)
                .body("entries.find { it.action == 'run.delete' }.principal", equalTo("test-admin"));
        assertToolError(call("delete_run", mapper.createObjectNode().put("run_id", runId)),
                "no run with id \"" + runId + "\"");
    }

    private void assertToolError(JsonNode response, String expected) {
        assertTrue(response.at("/result/isError").asBoolean(), response.toString());
        String text = response.at("/result/content/0/text").asText();
        assertTrue(text.contains(expected), text);
        assertFalse(text.contains("\n\tat ") || text.contains("Exception"), "no stack trace: " + text);
    }

    private JsonNode call(String tool, ObjectNode arguments) throws IOException, InterruptedException {
        JsonNode response = request("tools/call", mapper.createObjectNode().put("name", tool).set("arguments", arguments));
        assertNotNull(response.get("result"), response.toString());
        return response;
    }

    private JsonNode toolJson(JsonNode response) throws IOException {
        assertFalse(response.at("/result/isError").asBoolean(), response.toString());
        return mapper.readTree(response.at("/result/content/0/text").asText());
    }

    private JsonNode request(String method, ObjectNode params) throws IOException, InterruptedException {
        int id = ids.incrementAndGet();
        ObjectNode body = mapper.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
        body.set("params", params);
        HttpResponse<Stream<String>> response = http.send(post(body), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode(), method);
        response.headers().firstValue("Mcp-Session-Id").ifPresent(s -> sessionId = s);
        String type = response.headers().firstValue("Content-Type").orElse("");
        try (Stream<String> lines = response.body()) {
            if (!type.startsWith("text/event-stream")) {
                return mapper.readTree(lines.collect(Collectors.joining("\n")));
            }
            // Streamable HTTP may answer as an SSE stream: the answer is the data of the event carrying our id.
            return SseLineParser.first(lines, e -> e.json().path("id").asInt(-1) == id)
                    .map(SseClient.Event::json)
                    .orElseThrow(() -> new AssertionError(method + ": the event stream ended without an answer"));
        }
    }

    private void notify(String method) throws IOException, InterruptedException {
        ObjectNode body = mapper.createObjectNode().put("jsonrpc", "2.0").put("method", method);
        HttpResponse<String> response = http.send(post(body), HttpResponse.BodyHandlers.ofString());
        assertTrue(response.statusCode() == 202 || response.statusCode() == 200, method + ": " + response.statusCode());
    }

    private HttpRequest post(ObjectNode body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(mcp).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", TestAuth.HEADER)
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body)));
        if (sessionId != null) {
            b.header("Mcp-Session-Id", sessionId);
        }
        return b.build();
    }
}
