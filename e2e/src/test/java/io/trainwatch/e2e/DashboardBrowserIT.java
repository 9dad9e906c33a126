package io.trainwatch.e2e;

import org.junit.jupiter.api.Assumptions;
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
 * The dashboard in a real headless Chromium (Debian's package; nothing downloads a browser), served by the packaged
 * metrics-api at {@code /}: a real {@code overfit} job appears live in the runs list, its epochs arrive live, the
 * overfitting alert and the stop recommendation appear, the cancel dialog refuses an empty reason, and a cancel with
 * a reason turns the status to cancelled, and deleting it from the dashboard removes it (the API answers 404). The scenario is {@code dashboard/dev/live-check.mjs} (DevTools protocol,
 * Node's standard library only); screenshots go to {@code e2e/target/screenshots}.
 *
 * <p>CI installs Chromium ({@code .ci/run}) and sets {@code TRAINWATCH_REQUIRE_BROWSER=true}, so there a missing
 * browser fails the test; elsewhere it is skipped with a message.
 */
class DashboardBrowserIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        boolean required = Boolean.parseBoolean(System.getenv().getOrDefault("TRAINWATCH_REQUIRE_BROWSER", "false"));
        boolean present = onPath("chromium") && onPath("node");
        if (required) {
            assertTrue(present, "TRAINWATCH_REQUIRE_BROWSER=true but chromium or node is not on PATH");
        }
        Assumptions.assumeTrue(present, "dashboard browser test skipped: install Debian's chromium (apt-get install chromium) and node");
        system = TrainwatchSystem.get();
    }

    @Test
    void overfittingRunIsWatchedLiveAndCancelledFromTheDashboard() throws Exception {
        // The scenario ticks two runs for a comparison first: make sure two exist (HTTP ingest, the same write path).
        for (String id : new String[]{"browser-seed-a", "browser-seed-b"}) {
            Http.Reply r = Http.post(system.metricsApi.url("/api/v1/runs"),
                    Map.of("run_id", id, "name", id, "project", "e2e-browser", "total_epochs", 3));
            assertEquals(202, r.status(), r.raw());
        }
        await("seed runs stored").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> Http.get(system.metricsApi.url("/api/v1/runs/browser-seed-b")).status() == 200);

        Path screenshots = Path.of(System.getProperty("trainwatch.e2e.logs", "target/e2e-logs")).getParent()
                .resolve("screenshots");
        Files.createDirectories(screenshots);
        Path out = screenshots.resolve("live-check.log");
        ProcessBuilder pb = new ProcessBuilder("node", "--experimental-websocket",
                system.repoRoot.resolve("dashboard/dev/live-check.mjs").toString(), system.metricsApi.url(""),
                screenshots.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("DIRECT", "1");
        pb.environment().put("TRAINER", system.trainerHost.url(""));
        pb.environment().put("TRAINWATCH_TOKEN", TrainwatchSystem.ADMIN_SECRET);
        Process check = pb.start();
        boolean finished = check.waitFor(420, TimeUnit.SECONDS);
        if (!finished) {
            check.destroyForcibly();
        }
        String transcript = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(finished, "the browser scenario finished in time:\n" + transcript);
        assertEquals(0, check.exitValue(), "the browser scenario passed:\n" + transcript);
        assertTrue(transcript.contains("overfitting alert"), transcript);
        assertTrue(transcript.contains("stop recommended"), transcript);
        assertTrue(transcript.contains("epoch-count matches the server"), "cancelled, and the page agrees with the API:\n" + transcript);
        assertTrue(Files.size(screenshots.resolve("live-run-cancelled.png")) > 10_000, "a screenshot of the cancelled run");
        assertTrue(transcript.contains("run deleted from the dashboard; the API answers 404"), transcript);
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
