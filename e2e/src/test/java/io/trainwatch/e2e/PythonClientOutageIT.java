package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python client never slows training: metrics-api is stopped for 30 s (system property
 * {@code trainwatch.e2e.outage-seconds}) while {@code train_digits.py} trains, then restarted on the same port. The
 * epochs logged during the outage come as fast as before it (their {@code emitted_at} gaps, the script's own wall
 * clock), and afterwards every epoch is stored exactly once, in order: the client spooled and replayed them.
 */
class PythonClientOutageIT {

    private static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("trainwatch.e2e.outage-seconds", 30));
    /** Generous: the machine is shared; what must not happen is waiting on the dead server (seconds per epoch). */
    private static final double SLOWER_AT_MOST = Double.parseDouble(System.getProperty("trainwatch.e2e.outage-slowdown", "3"));

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() throws InterruptedException {
        PythonTraining.assumeTorchAndSklearn();
        system = TrainwatchSystem.get();
    }

    @Test
    void trainingKeepsItsPaceThroughAnApiOutageAndEveryEpochIsStoredOnce() throws Exception {
        try (PythonTraining training = PythonTraining.start(system, "e2e-python-outage",
                List.of("--epochs", "100000"))) {
            long t0 = System.nanoTime();
            String runId = training.awaitRunId();
            Phases phases = new Phases(t0);
            phases.mark("run id printed");
            String run = system.metricsApi.url("/api/v1/runs/" + runId);
            await("epochs stored before the outage").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        // The script prints its run id before its client has posted anything: 404 until then.
                        Http.Reply r = Http.get(run);
                        return r.status() == 200 && r.body().path("epochs_recorded").asInt() >= 30;
                    });

            phases.mark("30 epochs stored");
            Instant down = Instant.now();
            Instant up;
            boolean stopped = false;
            try {
                system.stopMetricsApi();
                stopped = true;
                // The outage itself: the trainer must stay alive and keep training throughout it.
                await("outage of " + OUTAGE).atMost(OUTAGE.plusSeconds(10)).pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            assertTrue(training.alive(), "train_digits.py died in the outage:\n" + training.transcript());
                            return Duration.between(down, Instant.now()).compareTo(OUTAGE) >= 0;
                        });
                up = Instant.now();
                phases.mark("outage over");
            } finally {
                if (stopped) {
                    system.restartMetricsApi();
                }
            }
            phases.mark("metrics-api ready again");

            // An epoch logged after the API came back is stored; the client replays in order, so the spool came first.
            Instant back = up;
            await("an epoch logged after the restart stored").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> PythonTraining.emittedAt(Http.json(run).path("latest")).isAfter(back));
            phases.mark("an epoch logged after the restart stored");
            Http.Reply cancel = Http.post(run + "/cancel", Map.of("reason", "e2e outage test done", "requested_by", "e2e"));
            assertEquals(202, cancel.status(), cancel.raw());
            assertEquals(0, training.awaitExit(Duration.ofSeconds(60)), training.transcript());
            phases.mark("train_digits.py exited after the cancel");
            await("run cancelled").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> "cancelled".equals(Http.json(run).path("status").asText()));

            phases.mark("run stored as cancelled");
            System.out.println("PythonClientOutageIT phases: " + phases);
            List<JsonNode> epochs = PythonTraining.contiguousEpochs(run);
            List<Double> before = new ArrayList<>();
            List<Double> during = new ArrayList<>();
            for (int i = 1; i < epochs.size(); i++) {
                Instant prev = PythonTraining.emittedAt(epochs.get(i - 1));
                Instant at = PythonTraining.emittedAt(epochs.get(i));
                double gapMs = Duration.between(prev, at).toNanos() / 1e6;
                if (at.isBefore(down)) {
                    before.add(gapMs);
                } else if (prev.isAfter(down) && at.isBefore(up)) {
                    during.add(gapMs);
                }
            }
            assertTrue(before.size() >= 5, "epochs before the outage: " + before.size());
            assertTrue(during.size() >= 5, "training went on during the outage: " + during.size() + " epochs");
            double beforeMs = median(before);
            double duringMs = median(during);
            System.out.printf("outage %s: median epoch %.1f ms before (%d), %.1f ms during (%d); %d epochs stored%n",
                    OUTAGE, beforeMs, before.size(), duringMs, during.size(), epochs.size());
            // The absolute slack covers a fast epoch (tens of ms) jittered by the machine, not a blocked send.
            assertTrue(duringMs <= beforeMs * SLOWER_AT_MOST + 50, "epochs during the outage took " + duringMs
                    + " ms (median) against " + beforeMs + " ms before");
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** Seconds since the start at each step, printed so a slow run shows where its time went. */
    private static final class Phases {
        private final long start;
        private final StringBuilder marks = new StringBuilder();

        Phases(long start) {
            this.start = start;
        }

        void mark(String what) {
            marks.append(String.format("%n  %6.1f s  %s", (System.nanoTime() - start) / 1e9, what));
        }

        @Override
        public String toString() {
            return marks.toString();
        }
    }
}
