package io.trainwatch.e2e;

import io.trainwatch.e2e.client.ApiClient;
import io.trainwatch.e2e.client.ApiException;
import io.trainwatch.e2e.client.api.AnalysisApi;
import io.trainwatch.e2e.client.api.MetricsApi;
import io.trainwatch.e2e.client.api.RunsApi;
import io.trainwatch.e2e.client.api.SecurityApi;
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
import io.trainwatch.e2e.client.model.Scope;
import io.trainwatch.e2e.client.model.TokenCreated;
import io.trainwatch.e2e.client.model.TokenRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A Java client generated at build time from metrics-api's OpenAPI document (openapi-generator, library "native")
 * drives a run against the packaged app: with the admin token it makes a token for the run (read, ingest, control),
 * then with that token starts the run, reports epochs, reads the history and the verdict, and cancels. If the document
 * stops describing the API well enough for a generator, this fails to compile or to run.
 */
class GeneratedClientIT {

    private static TrainwatchSystem system;

    @BeforeAll
    static void startSystem() {
        system = TrainwatchSystem.get();
    }

    /** A client that sends {@code authorization} (null: none); the native library leaves headers to an interceptor. */
    private static ApiClient client(String authorization) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(system.metricsApi.url(""));
        if (authorization != null) {
            client.setRequestInterceptor(request -> request.header("Authorization", authorization));
        }
        return client;
    }

    @Test
    void generatedClientDrivesARun() throws Exception {
        SecurityApi admin = new SecurityApi(client(TrainwatchSystem.BEARER));
        String tokenName = "generated-" + UUID.randomUUID().toString().substring(0, 8);
        TokenCreated token = admin.createToken(new TokenRequest().name(tokenName)
                .scopes(List.of(Scope.READ, Scope.INGEST, Scope.CONTROL)).projects(List.of("e2e-openapi")));
        ApiClient client = client("Bearer " + token.getSecret());
        assertEquals(tokenName, new SecurityApi(client).getCallingToken().getName());
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

        // Error answers reach the caller as the documented statuses.
        ApiException missing = assertThrows(ApiException.class, () -> runs.getRun("no-such-run-" + UUID.randomUUID()));
        assertEquals(404, missing.getCode());
        ApiException anonymous = assertThrows(ApiException.class, () -> new RunsApi(client(null)).getRun(runId));
        assertEquals(401, anonymous.getCode());
        ApiException notAdmin = assertThrows(ApiException.class, () -> new SecurityApi(client).listTokens());
        assertEquals(403, notAdmin.getCode());
        admin.revokeToken(tokenName);
    }
}
