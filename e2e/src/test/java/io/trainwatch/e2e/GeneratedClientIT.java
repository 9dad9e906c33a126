package io.trainwatch.e2e;

import io.trainwatch.e2e.client.ApiClient;
import io.trainwatch.e2e.client.ApiException;
import io.trainwatch.e2e.client.api.AnalysisApi;
import io.trainwatch.e2e.client.api.MetricsApi;
import io.trainwatch.e2e.client.api.RunsApi;
import io.trainwatch.e2e.client.model.CancelAccepted;
import io.trainwatch.e2e.client.model.ContractNumber;
import io.trainwatch.e2e.client.model.EpochBodies;
import io.trainwatch.e2e.client.model.EpochCompletedBody;
import io.trainwatch.e2e.client.model.EpochHistory;
import io.trainwatch.e2e.client.model.IngestAccepted;
import io.trainwatch.e2e.client.model.PostRunMetricsRequest;
import io.trainwatch.e2e.client.model.RunAnalysis;
import io.trainwatch.e2e.client.model.RunCancelRequestedBody;
import io.trainwatch.e2e.client.model.RunDetail;
import io.trainwatch.e2e.client.model.RunStartedBody;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A Java client generated at build time from metrics-api's OpenAPI document (openapi-generator, library "native")
 * drives a run against the packaged app: start, report epochs, read the history and the verdict, cancel. If the
 * document stops describing the API well enough for a generator, this fails to compile or to run.
 */
class GeneratedClientIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    @Test
    void generatedClientDrivesARun() throws Exception {
        ApiClient client = new ApiClient();
        client.updateBaseUri(system.metricsApi.url(""));
        RunsApi runs = new RunsApi(client);
        MetricsApi metrics = new MetricsApi(client);
        AnalysisApi analysis = new AnalysisApi(client);
        String runId = "generated-" + UUID.randomUUID();

        IngestAccepted started = runs.startRun(new RunStartedBody().runId(runId).name("generated-client")
                .project("e2e-openapi").totalEpochs(10));
        assertEquals(1, started.getAccepted());
        assertEquals(false, started.getControl().getCancelRequested());

        EpochBodies epochs = new EpochBodies();
        for (int e = 0; e < 4; e++) {
            epochs.add(new EpochCompletedBody().epoch(e)
                    .trainLoss(new ContractNumber(BigDecimal.valueOf(1.0 / (e + 1))))
                    .valLoss(e == 3 ? new ContractNumber("NaN") : new ContractNumber(BigDecimal.valueOf(1.1 / (e + 1)))));
        }
        assertEquals(4, metrics.postRunMetrics(runId, new PostRunMetricsRequest(epochs)).getAccepted());

        EpochHistory history = await("history stored").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> metrics.getRunMetrics(runId, null, null, null, null, null), h -> h.getCount() == 4);
        assertEquals(3, history.getEpochs().get(3).getEpoch());
        assertEquals("NaN", history.getEpochs().get(3).getValLoss().getActualInstance());

        RunAnalysis verdict = await("verdict").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> analysis.getRunAnalysis(runId, null), v -> Integer.valueOf(3).equals(v.getEpoch()));
        assertNotNull(verdict.getRecommendation().getAction());
        RunDetail detail = runs.getRun(runId);
        assertEquals("generated-client", detail.getName());

        CancelAccepted cancel = runs.cancelRun(runId, new RunCancelRequestedBody().reason("generated client test"));
        assertEquals("cancelling", cancel.getStatus().getValue());
        assertEquals("cancelling", runs.getRun(runId).getStatus().getValue());

        // An error answer reaches the caller as the documented status.
        ApiException missing = assertThrows(ApiException.class, () -> runs.getRun("no-such-run-" + UUID.randomUUID()));
        assertEquals(404, missing.getCode());
    }
}
