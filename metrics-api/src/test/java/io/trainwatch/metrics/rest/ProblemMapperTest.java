package io.trainwatch.metrics.rest;

import io.trainwatch.contracts.EventCodec;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mapper's answers that no HTTP test can provoke on demand: 503 with Retry-After, and 413's shape. */
class ProblemMapperTest {

    private final ProblemMapper problems = new ProblemMapper();

    ProblemMapperTest() {
        problems.mapper = EventCodec.newMapper();
    }

    @Test
    void everyUnavailableAnswerSaysWhenToComeBack() {
        Response kafkaSlow = problems.toResponse(new TimeoutException("no ack"));
        assertEquals(503, kafkaSlow.getStatus());
        assertEquals(String.valueOf(ProblemMapper.RETRY_AFTER_SECONDS), kafkaSlow.getHeaderString("Retry-After"));
        Response notStored = problems.toResponse(new ProblemException(503, "unavailable", "Service unavailable",
                "not stored yet", List.of()));
        assertEquals(String.valueOf(ProblemMapper.RETRY_AFTER_SECONDS), notStored.getHeaderString("Retry-After"));
        assertTrue(((String) notStored.getEntity()).contains("\"type\":\"urn:trainwatch:problem:unavailable\""));
    }

    @Test
    void otherAnswersCarryNoRetryAfter() {
        Response tooLarge = problems.toResponse(ProblemException.tooLarge("a request may hold at most 1000 events, had 1001"));
        assertEquals(413, tooLarge.getStatus());
        assertNull(tooLarge.getHeaderString("Retry-After"));
        String body = (String) tooLarge.getEntity();
        assertTrue(body.contains("\"field\":\"$\"") && body.contains("at most 1000 events"), body);
    }
}
