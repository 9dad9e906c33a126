package io.trainwatch.testsupport;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseLineParserTest {

    private final List<SseClient.Event> events = new ArrayList<>();
    private final List<String> comments = new ArrayList<>();
    private final SseLineParser parser = new SseLineParser(events::add, comments::add);

    private void feed(String... lines) {
        for (String line : lines) {
            parser.line(line);
        }
    }

    @Test
    void anEventHasItsIdTypeAndData() {
        feed("id: r1/7", "event: epoch", "data: {\"epoch\":3}", "");
        assertEquals(1, events.size());
        SseClient.Event e = events.get(0);
        assertEquals("r1/7", e.id());
        assertEquals("epoch", e.type());
        assertEquals(3, e.json().get("epoch").asInt());
    }

    @Test
    void dataLinesJoinWithNewlinesAndOnlyOneLeadingSpaceIsDropped() {
        feed("data: first", "data:second", "data:  third", "data", "");
        assertEquals("first\nsecond\n third\n", events.get(0).data());
        assertEquals("message", events.get(0).type(), "no event line: the type is message");
    }

    @Test
    void commentsAreKeptApartAndNeverEndAnEvent() {
        feed(":connected", "", ": heartbeat", "", "event: status", ": in between", "data: {}", "");
        assertEquals(List.of("connected", "heartbeat", "in between"), comments);
        assertEquals(1, events.size());
        assertEquals("status", events.get(0).type());
    }

    @Test
    void anEventWithoutDataIsNotDispatchedAndItsTypeDoesNotLeak() {
        feed("event: status", "", "data: x", "");
        assertEquals(1, events.size());
        assertEquals("message", events.get(0).type());
    }

    @Test
    void theIdPersistsUntilChangedAndAnEmptyIdResetsIt() {
        feed("id: 1", "data: a", "", "data: b", "", "id", "data: c", "", "id: 2\u0000x", "data: d", "");
        assertEquals("1", events.get(0).id());
        assertEquals("1", events.get(1).id(), "an event without an id line carries the last id");
        assertNull(events.get(2).id(), "id with no value resets the last id");
        assertNull(events.get(3).id(), "an id with NUL is ignored");
        assertEquals("", parser.lastEventId());
    }

    @Test
    void retryTakesOnlyDigitsAndUnknownFieldsAreIgnored() {
        feed("retry: 1000", "unknown: x", "data: a", "");
        assertEquals(1000L, parser.retryMillis());
        feed("retry: soon", "retry: 12x", "");
        assertEquals(1000L, parser.retryMillis(), "an invalid retry is ignored");
        assertEquals("a", events.get(0).data());
    }

    @Test
    void anEventCutOffByTheEndOfTheStreamIsDiscarded() {
        feed("data: whole", "", "data: cut");
        parser.end();
        feed("");
        assertEquals(List.of("whole"), events.stream().map(SseClient.Event::data).toList());
    }

    @Test
    void firstFindsTheWantedEventOfAResponseAndCountsALastEventWithoutItsBlankLine() {
        String body = ": opened\r\nevent: message\r\ndata: {\"id\":1}\r\n\r\ndata: {\"id\":2,\ndata: \"ok\":true}";
        assertEquals(1, SseLineParser.first(body.lines(), e -> e.json().path("id").asInt() == 1).orElseThrow()
                .json().path("id").asInt());
        assertEquals("{\"id\":2,\n\"ok\":true}",
                SseLineParser.first(body.lines(), e -> e.json().path("id").asInt() == 2).orElseThrow().data());
        assertTrue(SseLineParser.first(body.lines(), e -> false).isEmpty(), "no such event");
    }
}
