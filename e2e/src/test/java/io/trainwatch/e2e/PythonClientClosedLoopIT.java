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
    /** How long a cancel may take to reach the Python loop (ingest answer or control long-poll) on a busy CI machine. */
    private static final Duration DELIVERY = Duration.ofMillis(200);

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
            ProcessBuilder agentProcess = new ProcessBuilder(PythonTraining.PYTHON,
                    system.repoRoot.resolve("docs/examples/agents/loss_analyzer.py").toString(), runId,
                    "--url", system.metricsApi.url(""), "--act", "--wait", "--interval", "0.5", "--min-confidence", "0.7")
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            agentProcess.environment().put("TRAINWATCH_TOKEN", TrainwatchSystem.ADMIN_SECRET);
            Process agent = agentProcess.start();
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
            // The canceller is the token the agent used, whatever requested_by the agent claimed.
            assertEquals("e2e-admin", stored.path("cancel").path("requested_by").asText(), stored.toString());
            assertTrue(stored.path("finish_reason").asText().contains(reason),
                    "the client's run.finished echoes the agent's reason: " + stored);
            assertTrue(trained.contains(reason), "the script printed the stop reason:\n" + trained);

            // Every logged epoch stored once, in order.
            // A cancel needs some time to reach the loop, and the loop looks once per epoch: one that lands just before
            // an epoch's check is seen at the next one. So the claim is "learns within DELIVERY and then starts no
            // further epoch": at most one epoch logged later than DELIVERY after the cancel.
            List<JsonNode> epochs = PythonTraining.contiguousEpochs(run);
            Instant cancelledAt = Instant.parse(stored.path("cancel").path("requested_at").asText());
            Instant known = cancelledAt.plus(DELIVERY);
            long afterCancel = epochs.stream().filter(e -> PythonTraining.emittedAt(e).isAfter(cancelledAt)).count();
            long afterKnown = epochs.stream().filter(e -> PythonTraining.emittedAt(e).isAfter(known)).count();
            JsonNode last = epochs.get(epochs.size() - 1);
            System.out.printf("PythonClientClosedLoopIT: cancelled at %s; %d epoch(s) logged after the cancel, %d more "
                    + "than %d ms after it; last epoch %d ms after the cancel; %d epochs stored; reason: %s%n",
                    cancelledAt, afterCancel, afterKnown, DELIVERY.toMillis(),
                    Duration.between(cancelledAt, PythonTraining.emittedAt(last)).toMillis(), epochs.size(), reason);
            assertTrue(afterKnown <= 1, "at most one epoch logged more than " + DELIVERY.toMillis()
                    + " ms after the cancel, saw " + afterKnown + " (cancel at " + cancelledAt + ", last epoch " + last + ")");
            assertTrue(epochs.size() < EPOCHS, "stopped before the planned end: " + epochs.size() + " epochs");
            if (stored.has("epochs_completed")) {
                assertEquals(epochs.size(), stored.path("epochs_completed").asInt(), stored.toString());
            }
        }
    }
}
