package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.testsupport.SseClient;
import io.trainwatch.testsupport.SseLineParser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal MCP client over streamable HTTP: raw JSON-RPC 2.0 POSTs, answers read as JSON or as an SSE event
 * (test-support's {@link SseLineParser}), the {@code Mcp-Session-Id} sent back. What a language-model agent's MCP host does, without a library.
 */
final class McpClient {

    /** A tool's answer: its text content and whether it is a tool error. */
    record ToolResult(String text, boolean error) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String endpoint;
    private final AtomicInteger ids = new AtomicInteger();
    private String session;

    McpClient(String endpoint) {
        this.endpoint = endpoint;
    }

    JsonNode initialize() throws IOException, InterruptedException {
        JsonNode result = call("initialize", Map.of("protocolVersion", "2025-03-26", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "trainwatch-e2e", "version", "1")));
        post(JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/initialized"));
        return result;
    }

    ToolResult callTool(String name, Map<String, Object> arguments) throws IOException, InterruptedException {
        JsonNode result = call("tools/call", Map.of("name", name, "arguments", arguments));
        return new ToolResult(result.path("content").path(0).path("text").asText(), result.path("isError").asBoolean(false));
    }

    private JsonNode call(String method, Object params) throws IOException, InterruptedException {
        int id = ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
        request.set("params", JSON.valueToTree(params));
        HttpResponse<String> response = post(request);
        JsonNode message = read(response.body(), id);
        if (message.has("error")) {
            throw new AssertionError(method + " failed: " + message.get("error"));
        }
        return message.path("result");
    }

    private HttpResponse<String> post(JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("Authorization", TrainwatchSystem.BEARER)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (session != null) {
            request.header("Mcp-Session-Id", session);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new AssertionError("MCP " + body.path("method").asText() + " answered " + response.statusCode() + ": " + response.body());
        }
        response.headers().firstValue("Mcp-Session-Id").ifPresent(s -> session = s);
        return response;
    }

    private static JsonNode read(String body, int id) throws IOException {
        String trimmed = body.trim();
        if (trimmed.startsWith("{")) {
            return JSON.readTree(trimmed);
        }
        // An SSE answer: the data of the event that carries our id.
        return SseLineParser.first(body.lines(), e -> e.json().path("id").asInt(-1) == id)
                .map(SseClient.Event::json)
                .orElseThrow(() -> new AssertionError("no JSON-RPC answer with id " + id + " in: " + body));
    }
}
