package io.trainwatch.contracts;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fast UTC timestamp reader agrees with the standard one wherever it answers, and leaves the rest to it. */
class UtcInstantTest {

    @Test
    void agreesWithInstantParseOnRandomTimestampsOfEveryPrecision() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(0, 8_000_000_000L), random.nextInt(1_000_000_000));
            int digits = random.nextInt(10);
            String text = DateTimeFormatter.ISO_INSTANT.format(t).replaceFirst("\\.\\d+Z$", "Z");
            if (digits > 0) {
                text = text.substring(0, text.length() - 1) + "." + String.format("%09d", t.getNano()).substring(0, digits) + "Z";
            }
            assertEquals(Instant.parse(text), EventCodec.UtcInstantDeserializer.parseUtc(text), text);
        }
    }

    @Test
    void leavesEverythingElseToTheStandardReader() {
        for (String other : List.of("2026-11-30T17:20:33+02:00", "2026-11-30T17:20:33.5+00:00", "2026-11-30 17:20:33Z",
                "2026-11-30T17:20:60Z", "2026-04-31T00:00:00Z", "2026-11-30T17:20:33.Z", "2026-11-30T17:20:33.1234567891Z",
                "2026-13-01T00:00:00Z", "yesterday", "2026-11-30T17:20:33z")) {
            assertNull(EventCodec.UtcInstantDeserializer.parseUtc(other), other);
        }
    }

    @Test
    void decodedEventsKeepOffsetsAndRejectBadTimestampsAsBefore() {
        EpochCompleted withOffset = EventCodec.instance().decode(
                "{\"run_id\":\"r\",\"epoch\":0,\"emitted_at\":\"2026-11-30T19:20:33.25+02:00\"}", EpochCompleted.class);
        assertEquals(Instant.parse("2026-11-30T17:20:33.25Z"), withOffset.emittedAt());
        EpochCompleted utc = EventCodec.instance().decode(
                "{\"run_id\":\"r\",\"epoch\":0,\"emitted_at\":\"2026-11-30T17:20:33.123456Z\"}", EpochCompleted.class);
        assertEquals(Instant.parse("2026-11-30T17:20:33.123456Z"), utc.emittedAt());
        EventValidationException bad = assertThrows(EventValidationException.class, () -> EventCodec.instance().decode(
                "{\"run_id\":\"r\",\"epoch\":0,\"emitted_at\":\"2026-04-31T00:00:00Z\"}", EpochCompleted.class));
        assertTrue(bad.getMessage().contains("emitted_at"), bad.getMessage());
    }
}
