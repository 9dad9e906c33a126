package io.trainwatch.e2e;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Liveness with epochs longer than the stall limit (issue 14): two Python runs with {@code monitor.stall_after_seconds}
 * 4 stay silent between epochs; the one whose client sends heartbeats stays {@code running}, the one without turns
 * {@code stalled} and returns to {@code running} with its next epoch. The real packaged metrics-api checks for stalled
 * runs every 12 s (its default floor of 60 s / 5), so a silent run with a 4 s limit is stalled within about 16 s.
 */
class PythonClientHeartbeatIT {

    private static final Pattern HEARTBEATS = Pattern.compile("heartbeats=(\\d+)");

    @Test
    void heartbeatsKeepASlowRunRunningWhileASilentOneStallsAndResumes() throws Exception {
        TrainwatchSystem system = TrainwatchSystem.get();
        var script = system.repoRoot.resolve("e2e/src/test/resources/python/slow_epochs.py");
        try (PythonTraining beating = PythonTraining.script(system, "heartbeat-on", script,
                List.of("--name", "heartbeat-on", "--stall-after", "4", "--heartbeat-every", "1"));
             PythonTraining silent = PythonTraining.script(system, "heartbeat-off", script,
                     List.of("--name", "heartbeat-off", "--stall-after", "4", "--heartbeat-every", "0"))) {
            String beatingRun = system.metricsApi.url("/api/v1/runs/" + beating.awaitRunId());
            String silentRun = system.metricsApi.url("/api/v1/runs/" + silent.awaitRunId());
            await("both runs stored with epoch 0").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> epochs(beatingRun) == 1 && epochs(silentRun) == 1);

            // 24 s covers the silent run's 4 s limit plus more than one 12 s check.
            await("the run with heartbeats stays running").during(Duration.ofSeconds(24))
                    .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> status(beatingRun), "running"::equals);
            await("the silent run is stalled").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status(silentRun), "stalled"::equals);

            silent.send("next");
            await("the silent run resumes with its next epoch").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).until(() -> status(silentRun), "running"::equals);
            assertEquals(2, epochs(silentRun));
            beating.send("next");

            beating.endInput();
            silent.endInput();
            assertEquals(0, beating.awaitExit(Duration.ofSeconds(30)), beating.transcript());
            assertEquals(0, silent.awaitExit(Duration.ofSeconds(30)), silent.transcript());
            await("both runs completed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> status(beatingRun).equals("completed") && status(silentRun).equals("completed"));
            assertEquals(2, epochs(beatingRun));
            int sent = heartbeats(beating.transcript());
            assertTrue(sent >= 20, "about one heartbeat a second for 24 s was accepted, saw " + sent);
            assertEquals(0, heartbeats(silent.transcript()), silent.transcript());
            System.out.printf("PythonClientHeartbeatIT: %d heartbeats kept a run silent for %d+ s running; "
                    + "the run without them stalled and resumed%n", sent, 24);
        }
    }

    private static String status(String run) {
        return Http.json(run).path("status").asText();
    }

    private static int epochs(String run) {
        return Http.json(run + "/metrics").path("epochs").size();
    }

    private static int heartbeats(String transcript) {
        Matcher m = HEARTBEATS.matcher(transcript);
        assertTrue(m.find(), "the script printed its heartbeat count:\n" + transcript);
        return Integer.parseInt(m.group(1));
    }
}
