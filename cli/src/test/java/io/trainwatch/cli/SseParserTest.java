package io.trainwatch.cli;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SseParserTest {

    private final List<SseEvent> events = new ArrayList<>();
    private final SseParser parser = new SseParser(events::add);

    private void feed(String... lines) {
        for (String l : lines) {
            parser.line(l);
        }
    }

    @Test
    void idEventAndDataMakeOneEventOnTheBlankLine() {
        feed("id: r1/7", "event: epoch", "data: {\"epoch\":3}");
        assertEquals(List.of(), events, "nothing is dispatched before the blank line");
        feed("");
        assertEquals(List.of(new SseEvent("r1/7", "epoch", "{\"epoch\":3}")), events);
        assertEquals("r1/7", parser.lastEventId());
    }

    @Test
    void commentsAreIgnoredAndDoNotDispatch() {
        feed(":connected", "", ": heartbeat", "", "event: status", ": in between", "data: {}", "");
        assertEquals(List.of(new SseEvent(null, "status", "{}")), events);
        assertNull(parser.lastEventId());
    }

    @Test
    void multiLineDataJoinsWithNewlines() {
        feed("data: first", "data:second", "data:  third", "");
        assertEquals("first\nsecond\n third", events.get(0).data(), "only one leading space is dropped");
        assertEquals("message", events.get(0).type(), "the type defaults to message");
    }

    @Test
    void theLastIdPersistsAndTheTypeDoesNot() {
        feed("id: r1/1", "event: epoch", "data: a", "", "data: b", "");
        assertEquals(new SseEvent("r1/1", "epoch", "a"), events.get(0));
        assertEquals(new SseEvent("r1/1", "message", "b"), events.get(1));
    }

    @Test
    void anEventWithoutDataIsNotDispatchedButItsIdCounts() {
        feed("id: r1/9", "event: status", "", "retry: 1000", "unknown: x", "");
        assertEquals(List.of(), events);
        assertEquals("r1/9", parser.lastEventId());
    }

    @Test
    void aFieldWithoutColonIsAFieldWithAnEmptyValue() {
        feed("data", "data", "");
        assertEquals("\n", events.get(0).data());
    }
}
