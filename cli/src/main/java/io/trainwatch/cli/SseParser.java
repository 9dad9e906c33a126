package io.trainwatch.cli;

import java.util.function.Consumer;

/**
 * Line-by-line parser of a text/event-stream, following the WHATWG HTML "event stream interpretation": comments
 * (lines starting with ':') are ignored, one leading space after the colon is dropped, several {@code data:} lines
 * join with '\n', a blank line dispatches, an event without data is not dispatched, and the last id persists.
 */
public final class SseParser {

    private final Consumer<SseEvent> sink;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type;
    private String lastEventId;

    public SseParser(Consumer<SseEvent> sink) {
        this.sink = sink;
    }

    /** The id to send as Last-Event-ID on reconnect; null before any id was seen. */
    public String lastEventId() {
        return lastEventId;
    }

    /** Feeds one line, without its line terminator. */
    public void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.charAt(0) == ':') {
            return; // comment: the server's heartbeats and the opening "connected"
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    lastEventId = value;
                }
            }
            default -> {
                // "retry" and unknown fields: the CLI's reconnect policy is its own
            }
        }
    }

    private void dispatch() {
        if (hasData) {
            sink.accept(new SseEvent(lastEventId, type == null || type.isEmpty() ? "message" : type, data.toString()));
        }
        data.setLength(0);
        hasData = false;
        type = null;
    }
}
