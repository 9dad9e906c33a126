package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop of issue 12 with a real PyTorch training: {@code train_digits.py --overfit} reports through the Python
 * client to the packaged metrics-api; {@code loss_analyzer.py --act --wait} cancels it with the verdict's reason;
 * the Python loop learns of the cancel (ingest answers, control long-poll) and stops within one epoch.
 */
class PythonClientClosedLoopIT {

    private static final int EPOCHS = 400;

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() throws InterruptedException {
        PythonTraining.assumeTorchAndSklearn();
        system = TrainwatchSystem.get();
    }

    @Test
    void lossAnalyzerCancelsAnOverfittingPythonRunWhichStopsWithinOneEpoch() throws Exception {
        try (PythonTraining training = PythonTraining.start(system, "e2e-python-loop",
                // Paced like a real epoch (digits epochs take tens of ms), so "within one epoch" is a fair measure.
                List.of("--overfit", "--epochs", Integer.toString(EPOCHS), "--pace", "0.25"))) {
            String runId = training.awaitRunId();
            String run = system.metricsApi.url("/api/v1/runs/" + runId);

            Path out = Files.createTempFile("loss-analyzer-python", ".log");
            Process agent = new ProcessBuilder(PythonTraining.PYTHON,
                    system.repoRoot.resolve("docs/examples/agents/loss_analyzer.py").toString(), runId,
                    "--url", system.metricsApi.url(""), "--act", "--wait", "--interval", "0.5", "--min-confidence", "0.7")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean agentExited = agent.waitFor(180, TimeUnit.SECONDS);
            String agentSaid = Files.readString(out, StandardCharsets.UTF_8);
            if (!agentExited) {
                agent.destroyForcibly();
            }
            assertTrue(agentExited, "the agent ended by itself; it printed:\n" + agentSaid
                    + "\ntraining printed:\n" + training.transcript());
            assertEquals(0, agent.exitValue(), "the agent acted; it printed:\n" + agentSaid);
            assertTrue(agentSaid.contains("action: cancelled"), agentSaid);

            // The Python loop ends by itself once it has learnt of the cancel.
            int exit = training.awaitExit(Duration.ofSeconds(60));
            String trained = training.transcript();
            assertEquals(0, exit, "train_digits.py exits normally after honouring the cancel:\n" + trained);

            await("run cancelled").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> "cancelled".equals(Http.json(run).path("status").asText()));
            JsonNode stored = Http.json(run);
            String reason = stored.path("cancel").path("reason").asText();
            assertTrue(!reason.isBlank() && agentSaid.contains(reason), "the agent's reason is on the run: " + stored
                    + "\nagent:\n" + agentSaid);
            assertEquals("loss_analyzer.py", stored.path("cancel").path("requested_by").asText(), stored.toString());
            assertTrue(stored.path("finish_reason").asText().contains(reason),
                    "the client's run.finished echoes the agent's reason: " + stored);
            assertTrue(trained.contains(reason), "the script printed the stop reason:\n" + trained);

            // Every logged epoch stored once, in order; and the loop stopped within one epoch of the cancel.
            List<JsonNode> epochs = PythonTraining.contiguousEpochs(run);
            Instant cancelledAt = Instant.parse(stored.path("cancel").path("requested_at").asText());
            long afterCancel = epochs.stream().filter(e -> PythonTraining.emittedAt(e).isAfter(cancelledAt)).count();
            System.out.printf("PythonClientClosedLoopIT: cancelled at %s after epoch %d was logged; %d epoch(s) logged "
                    + "after the cancel; %d epochs stored; reason: %s%n", cancelledAt,
                    epochs.stream().filter(e -> !PythonTraining.emittedAt(e).isAfter(cancelledAt)).count() - 1,
                    afterCancel, epochs.size(), reason);
            assertTrue(afterCancel <= 1, "at most one epoch logged after the cancel was stored, saw " + afterCancel
                    + " (cancel at " + cancelledAt + ", last epoch " + epochs.get(epochs.size() - 1) + ")");
            assertTrue(epochs.size() < EPOCHS, "stopped before the planned end: " + epochs.size() + " epochs");
            if (stored.has("epochs_completed")) {
                assertEquals(epochs.size(), stored.path("epochs_completed").asInt(), stored.toString());
            }
        }
    }
}
