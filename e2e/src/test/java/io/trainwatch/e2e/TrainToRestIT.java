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
 * A job submitted to trainer-host reaches metrics-api through Kafka and PostgreSQL: its history is readable over REST
 * while it trains and, complete, after it ends; a cancel sent to metrics-api stops the trainer's job.
 */
class TrainToRestIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    @Test
    void healthyJobIsStoredEpochByEpochWhileItTrainsAndAfter() {
        int epochs = 8;
        String runId = submit(Map.of("preset", "healthy", "epochs", epochs, "name", "e2e-healthy", "project", "e2e"));
        String run = system.metricsApi.url("/api/v1/runs/" + runId);

        // While it trains: the run is visible as running, with part of its history.
        AtomicReference<JsonNode> during = new AtomicReference<>();
        await("history while running").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Http.Reply r = Http.get(run + "/metrics");
                    Http.Reply s = Http.get(run);
                    if (r.status() != 200 || s.status() != 200) {
                        return false;
                    }
                    during.set(r.body());
                    return "running".equals(s.body().path("status").asText()) && r.body().path("epochs").size() >= 1;
                });
        assertTrue(during.get().path("epochs").size() < epochs, "seen before the last epoch: " + during.get());

        // After: the trainer says completed, and metrics-api has every epoch with every standard field.
        await("trainer job completed").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                .until(() -> "completed".equals(Http.json(system.trainerHost.url("/api/v1/jobs/" + runId)).path("status").asText()));
        await("run completed in metrics-api").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "completed".equals(Http.json(run).path("status").asText()));

        JsonNode history = Http.json(run + "/metrics").path("epochs");
        assertEquals(epochs, history.size(), "every epoch stored: " + history);
        for (int i = 0; i < epochs; i++) {
            JsonNode e = history.get(i);
            assertEquals(i, e.path("epoch").asInt());
            for (String field : new String[]{"train_loss", "val_loss", "train_accuracy", "val_accuracy", "learning_rate",
                    "duration_ms", "samples_per_second", "grad_norm", "grad_norm_max", "param_norm"}) {
                assertTrue(e.hasNonNull(field), "epoch " + i + " has " + field + ": " + e);
            }
        }
        assertTrue(history.get(epochs - 1).path("val_loss").asDouble() < history.get(0).path("val_loss").asDouble(),
                "a healthy run's validation loss falls: " + history);

        JsonNode analysis = Http.json(run + "/analysis");
        assertEquals(runId, analysis.path("run_id").asText());
        assertFalse(analysis.path("recommendation").path("action").asText().isEmpty(), "a recommendation: " + analysis);
    }

    @Test
    void cancelThroughMetricsApiStopsTheTrainersJob() {
        int epochs = 60;
        String runId = submit(Map.of("preset", "overfit", "epochs", epochs, "name", "e2e-cancel", "project", "e2e"));
        String run = system.metricsApi.url("/api/v1/runs/" + runId);
        await("first epochs stored").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Http.Reply r = Http.get(run);
                    return r.status() == 200 && r.body().path("epochs_recorded").asInt() >= 2;
                });

        String reason = "e2e: validation loss is rising, stop";
        Http.Reply cancel = Http.post(run + "/cancel", Map.of("reason", reason, "requested_by", "e2e-test"));
        assertEquals(202, cancel.status(), cancel.raw());

        await("trainer cancelled the job").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(Http.json(system.trainerHost.url("/api/v1/jobs/" + runId)).path("status").asText()));
        JsonNode job = Http.json(system.trainerHost.url("/api/v1/jobs/" + runId));
        assertTrue(job.path("reason").asText().contains(reason), "the trainer records the reason: " + job);
        assertTrue(job.path("epochs_completed").asInt() < epochs, "stopped before the end: " + job);

        await("run cancelled in metrics-api").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(Http.json(run).path("status").asText()));
        JsonNode stored = Http.json(run);
        assertEquals(reason, stored.path("cancel").path("reason").asText(), stored.toString());
        assertTrue(stored.path("epochs_recorded").asInt() < epochs, stored.toString());

        Http.Reply again = Http.post(run + "/cancel", Map.of("reason", "twice"));
        assertEquals(409, again.status(), "a finished run cannot be cancelled: " + again.raw());
    }

    @Test
    void packagedMetricsApiServesTheDashboardAtRoot() {
        Http.Reply page = Http.get(system.metricsApi.url("/"));
        assertEquals(200, page.status());
        assertTrue(page.raw().contains("<title>Trainwatch"), page.raw());
        Http.Reply script = Http.get(system.metricsApi.url("/app.js"));
        assertEquals(200, script.status(), "the dashboard's script is served too");
    }

    private static String submit(Map<String, Object> spec) {
        Http.Reply r = Http.post(system.trainerHost.url("/api/v1/jobs"), spec);
        assertEquals(202, r.status(), r.raw());
        return r.body().path("run_id").asText();
    }
}
