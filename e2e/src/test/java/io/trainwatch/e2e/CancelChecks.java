package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a cancelled run must show, whoever cancelled it. */
final class CancelChecks {

    private CancelChecks() {
    }

    /**
     * The trainer stopped within one epoch of the cancel (at most one epoch was emitted after the request was
     * recorded) and well before the planned end.
     *
     * @param run the run's URL on metrics-api
     * @param stored the run as metrics-api shows it, cancelled
     */
    static void assertStoppedPromptly(String run, JsonNode stored, int plannedEpochs) {
        Instant cancelledAt = Instant.parse(stored.path("cancel").path("requested_at").asText());
        JsonNode history = Http.json(run + "/metrics").path("epochs");
        long afterCancel = 0;
        for (JsonNode e : history) {
            if (e.hasNonNull("emitted_at") && Instant.parse(e.path("emitted_at").asText()).isAfter(cancelledAt)) {
                afterCancel++;
            }
        }
        assertTrue(afterCancel <= 1, "at most one epoch completed after the cancel, saw " + afterCancel);
        assertTrue(history.size() < plannedEpochs * 3 / 4, "ended well before epoch " + plannedEpochs + ": " + history.size());
    }
}
