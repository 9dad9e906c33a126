package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop this product exists for, closed by the example agent itself: a run that overfits, the stdlib-only
 * {@code loss_analyzer.py --act --wait} polling its verdict, the cancel it sends, and the trainer stopping the run.
 */
class AgentClosedLoopIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    @Test
    void lossAnalyzerCancelsAnOverfittingRunWithTheVerdictsReason() throws Exception {
        int epochs = 60;
        Http.Reply submitted = Http.post(system.trainerHost.url("/api/v1/jobs"),
                Map.of("preset", "overfit", "epochs", epochs, "name", "e2e-agent-loop", "project", "e2e"));
        assertEquals(202, submitted.status(), submitted.raw());
        String runId = submitted.body().path("run_id").asText();

        Path out = Files.createTempFile("loss-analyzer", ".log");
        ProcessBuilder agentProcess = new ProcessBuilder("python3",
                system.repoRoot.resolve("docs/examples/agents/loss_analyzer.py").toString(), runId,
                "--url", system.metricsApi.url(""), "--act", "--wait", "--interval", "0.5", "--min-confidence", "0.7")
                .redirectErrorStream(true).redirectOutput(out.toFile());
        agentProcess.environment().put("TRAINWATCH_TOKEN", TrainwatchSystem.ADMIN_SECRET);
        Process agent = agentProcess.start();
        boolean exited = agent.waitFor(240, TimeUnit.SECONDS);
        String transcript = Files.readString(out, StandardCharsets.UTF_8);
        if (!exited) {
            agent.destroyForcibly();
        }
        assertTrue(exited, "the agent ended by itself; it printed:\n" + transcript);
        assertEquals(0, agent.exitValue(), "the agent acted; it printed:\n" + transcript);
        assertTrue(transcript.contains("action: cancelled"), transcript);

        String run = system.metricsApi.url("/api/v1/runs/" + runId);
        await("run cancelled").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(Http.json(run).path("status").asText()));
        JsonNode stored = Http.json(run);

        // The reason the agent gave is the verdict's reason, and it is recorded on the run and on run.finished.
        String reason = stored.path("cancel").path("reason").asText();
        assertTrue(reason.toLowerCase().contains("epoch"), "a reason naming the best epoch: " + stored);
        // Who cancelled is the token's name (the agent ran with the e2e admin token), not the agent's own claim.
        assertEquals("e2e-admin", stored.path("cancel").path("requested_by").asText(), stored.toString());
        assertTrue(transcript.contains(reason), "the agent printed the reason it sent:\n" + transcript);
        assertTrue(stored.path("finish_reason").asText().contains(reason), "run.finished carries it: " + stored);

        // The trainer stopped within one epoch of the cancel, well before the end.
        CancelChecks.assertStoppedPromptly(run, stored, epochs);
        JsonNode job = Http.json(system.trainerHost.url("/api/v1/jobs/" + runId));
        assertEquals("cancelled", job.path("status").asText(), job.toString());
    }

}
