package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The closed loop once more, as a language-model agent would close it: over MCP, {@code analyze_run} until the
 * verdict says stop, then {@code cancel_run} with the verdict's reason; the trainer stops the run.
 */
class McpClosedLoopIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    @Test
    void anMcpAgentAnalysesThenCancelsAnOverfittingRun() throws Exception {
        int epochs = 60;
        Http.Reply submitted = Http.post(system.trainerHost.url("/api/v1/jobs"),
                Map.of("preset", "overfit", "epochs", epochs, "name", "e2e-mcp-loop", "project", "e2e"));
        assertEquals(202, submitted.status(), submitted.raw());
        String runId = submitted.body().path("run_id").asText();

        McpClient mcp = new McpClient(system.metricsApi.url("/mcp"));
        assertEquals("trainwatch", mcp.initialize().path("serverInfo").path("name").asText());

        AtomicReference<JsonNode> verdict = new AtomicReference<>();
        await("analyze_run says stop").atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    McpClient.ToolResult r = mcp.callTool("analyze_run", Map.of("run_id", runId));
                    if (r.error()) {
                        return false; // the run may not have reached metrics-api yet
                    }
                    JsonNode v = Http.JSON.readTree(r.text());
                    verdict.set(v);
                    JsonNode rec = v.path("recommendation");
                    return "stop".equals(rec.path("action").asText()) && rec.path("confidence").asDouble() >= 0.7;
                });
        String reason = verdict.get().path("recommendation").path("reason").asText();
        assertFalse(reason.isBlank(), verdict.get().toString());

        McpClient.ToolResult missing = mcp.callTool("cancel_run", Map.of("run_id", runId));
        assertTrue(missing.error(), "cancel_run without a reason is a tool error: " + missing.text());

        McpClient.ToolResult cancelled = mcp.callTool("cancel_run",
                Map.of("run_id", runId, "reason", reason, "requested_by", "e2e-mcp-agent"));
        assertFalse(cancelled.error(), cancelled.text());

        String run = system.metricsApi.url("/api/v1/runs/" + runId);
        await("run cancelled").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(Http.json(run).path("status").asText()));
        JsonNode stored = Http.json(run);
        assertEquals(reason, stored.path("cancel").path("reason").asText(), stored.toString());
        // Who cancelled is the token's name, not the requested_by the agent claimed.
        assertEquals("e2e-admin", stored.path("cancel").path("requested_by").asText(), stored.toString());
        assertTrue(stored.path("finish_reason").asText().contains(reason), "run.finished carries the reason: " + stored);

        CancelChecks.assertStoppedPromptly(run, stored, epochs);
    }
}
