package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two trainer-hosts serve one job queue (the shared system's host and a second one started here, one training slot
 * each): six jobs submitted to either host each run exactly once; a cancel sent to metrics-api stops the job on the
 * host that runs it and no other; a host killed with SIGKILL mid-job loses its run ({@code failed}, "host lost")
 * and the other host runs the job again as {@code <run_id>-a2}.
 */
class JobQueueIT {

    private static final int EPOCHS = 5;
    /** Small and quick: 20 batches an epoch. */
    private static final String SHORT_JOB = """
            {"name": "e2e-queue-%d", "project": "e2e-queue", "model": {"type": "mlp", "hidden": [16, 16]},
             "dataset": {"type": "spirals", "train_size": 640, "val_size": 200, "noise": 0.2, "seed": 3},
             "epochs": %d, "batch_size": 32, "optimizer": {"type": "adam", "learning_rate": 0.01}}
            """;
    /** Far longer than the test: it is cancelled or killed before it ends. */
    private static final int LONG_EPOCHS = 3000;

    private static TrainwatchSystem system;
    private static AppProcess second;

    @BeforeAll
    static void startSecondHost() {
        system = TrainwatchSystem.get();
        second = system.startSecondTrainerHost("trainer-host-b");
    }

    @AfterAll
    static void stopSecondHost() {
        if (second != null) {
            second.close();
        }
    }

    @Test
    void twoHostsShareOneQueueRunEachJobOnceAndRetryAKilledHostsJob() throws Exception {
        AppProcess first = system.trainerHost;
        List<AppProcess> hosts = List.of(first, second);

        // Six jobs, submitted alternately to both hosts: each runs once, on one host, with every epoch stored once.
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            runIds.add(submit(hosts.get(i % 2), SHORT_JOB.formatted(i, EPOCHS)));
        }
        for (String runId : runIds) {
            await(runId + " completed in metrics-api").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> "completed".equals(metricsRun(runId).path("status").asText()));
            assertEquals(EPOCHS, Http.json(system.metricsApi.url("/api/v1/runs/" + runId + "/metrics")).path("epochs").size(),
                    runId + ": every epoch once");
            assertEquals(1, hostsThatRan(runId).size(), runId + " ran on exactly one host");
        }
        assertEquals(6, runIds.stream().distinct().count());

        // Two long jobs: one slot each, so each host takes one.
        String longA = submit(first, SHORT_JOB.formatted(10, LONG_EPOCHS));
        String longB = submit(second, SHORT_JOB.formatted(11, LONG_EPOCHS));
        await("both long jobs running").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> runningOn(longA) != null && runningOn(longB) != null);
        AppProcess hostOfA = runningOn(longA);
        AppProcess hostOfB = runningOn(longB);
        assertNotEquals(hostOfA.port(), hostOfB.port(), "one long job per host");
        // The job on the second host is the one its kill will lose.
        String onFirst = hostOfA == first ? longA : longB;
        String onSecond = hostOfA == first ? longB : longA;

        // A cancel through metrics-api reaches the host that runs the job, and leaves the other host's job alone.
        assertEquals(202, Http.post(system.metricsApi.url("/api/v1/runs/" + onFirst + "/cancel"),
                Map.of("reason", "e2e: stop the first host's job", "requested_by", "e2e-test")).status());
        await("first host cancelled its job").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(jobStatus(first, onFirst)));
        assertEquals("running", jobStatus(second, onSecond), "the other host's job trains on");

        // SIGKILL the second host mid-job: the first host takes the job again as a new attempt.
        await("an epoch of the doomed run stored").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> metricsRun(onSecond).path("epochs_recorded").asInt() >= 1);
        second.kill();
        String retry = onSecond + "-a2";
        await("the first host runs the retry").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "running".equals(jobStatus(first, retry)));
        await("the lost run failed in metrics-api").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> "failed".equals(metricsRun(onSecond).path("status").asText()));
        JsonNode lost = metricsRun(onSecond);
        assertTrue(lost.path("finish_reason").asText().startsWith("host lost: trainer host trainer-host-b"), lost.toString());
        assertTrue(lost.path("finish_reason").asText().endsWith("retried as " + retry), lost.toString());

        // And the retry stops where it runs, too.
        assertEquals(202, Http.post(system.metricsApi.url("/api/v1/runs/" + retry + "/cancel"),
                Map.of("reason", "e2e: done", "requested_by", "e2e-test")).status());
        await("retry cancelled").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> "cancelled".equals(jobStatus(first, retry)));
    }

    private static String submit(AppProcess host, String spec) {
        Http.Reply r = Http.post(host.url("/api/v1/jobs"), spec);
        assertEquals(202, r.status(), r.raw());
        assertEquals("queued", r.body().path("status").asText(), r.raw());
        return r.body().path("run_id").asText();
    }

    /** The job's status on that host; empty when the host does not know it (yet). */
    private static String jobStatus(AppProcess host, String runId) {
        Http.Reply r = Http.get(host.url("/api/v1/jobs/" + runId));
        return r.status() == 200 ? r.body().path("status").asText() : "";
    }

    private static JsonNode metricsRun(String runId) {
        Http.Reply r = Http.get(system.metricsApi.url("/api/v1/runs/" + runId));
        return r.status() == 200 ? r.body() : Http.JSON.createObjectNode();
    }

    /** The hosts (of the live ones) whose own job list has the run. */
    private static List<AppProcess> hostsThatRan(String runId) {
        List<AppProcess> out = new ArrayList<>();
        for (AppProcess host : List.of(system.trainerHost, second)) {
            for (JsonNode job : Http.json(host.url("/api/v1/jobs"))) {
                if (runId.equals(job.path("run_id").asText())) {
                    out.add(host);
                }
            }
        }
        return out;
    }

    private static AppProcess runningOn(String runId) {
        for (AppProcess host : List.of(system.trainerHost, second)) {
            for (JsonNode job : Http.json(host.url("/api/v1/jobs"))) {
                if (runId.equals(job.path("run_id").asText()) && "running".equals(job.path("status").asText())) {
                    return host;
                }
            }
        }
        return null;
    }
}
