package io.trainwatch.testsupport;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The event-stream interpretation of the HTML Living Standard (section "Server-sent events"), one line at a time (the
 * line terminators CR, LF and CRLF already removed): {@code data} lines accumulate, joined by LF; {@code event} sets
 * the type ({@code message} when absent); {@code id} sets the last event id, which persists across events until
 * another {@code id} line changes it ({@code id:} with no value resets it to empty; an id containing NUL is ignored);
 * {@code retry} with only digits sets the reconnection time; a line starting with {@code :} is a comment; unknown
 * fields are ignored. A blank line dispatches the event, unless no data line came since the last one.
 */
public final class SseLineParser {

    private final Consumer<SseClient.Event> events;
    private final Consumer<String> comments;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type;
    private String lastEventId = "";
    private volatile Long retryMillis;

    /** {@code events} receives each dispatched event, {@code comments} each comment's text (after the colon). */
    public SseLineParser(Consumer<SseClient.Event> events, Consumer<String> comments) {
        this.events = Objects.requireNonNull(events, "events");
        this.comments = Objects.requireNonNull(comments, "comments");
    }

    /**
     * The first event of a one-shot event-stream response (e.g. an MCP answer over streamable HTTP) that
     * {@code wanted} accepts, reading {@code lines} only as far as needed; empty when the lines ran out first. Unlike
     * a live stream, the response's last event counts even without its closing blank line: the server ended the
     * response right after it. {@code String.lines()} and {@code BodyHandlers.ofLines()} split lines as the format
     * says (CR, LF, CRLF).
     */
    public static Optional<SseClient.Event> first(Stream<String> lines, Predicate<SseClient.Event> wanted) {
        List<SseClient.Event> found = new ArrayList<>(1);
        SseLineParser parser = new SseLineParser(e -> {
            if (found.isEmpty() && wanted.test(e)) {
                found.add(e);
            }
        }, c -> { });
        Iterator<String> it = lines.iterator();
        while (found.isEmpty() && it.hasNext()) {
            parser.line(it.next());
        }
        if (found.isEmpty()) {
            parser.line("");
        }
        return found.stream().findFirst();
    }

    /** Interprets one line, without its terminator. */
    public void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.charAt(0) == ':') {
            comments.accept(line.substring(1).stripLeading());
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {   // exactly one space after the colon is dropped, no more
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
            case "retry" -> {
                if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    retryMillis = Long.parseLong(value);
                }
            }
            default -> {
                // unknown field: ignored, as the standard says
            }
        }
    }

    /** The end of the stream: an event not yet ended by a blank line is discarded, as the standard says. */
    public void end() {
        data.setLength(0);
        hasData = false;
        type = null;
    }

    /** The last event id seen, "" when none (what a client sends back as Last-Event-ID). */
    public String lastEventId() {
        return lastEventId;
    }

    /** The last valid {@code retry} value in milliseconds, or null when none came. */
    public Long retryMillis() {
        return retryMillis;
    }

    private void dispatch() {
        if (hasData) {
            events.accept(new SseClient.Event(lastEventId.isEmpty() ? null : lastEventId,
                    type == null || type.isEmpty() ? "message" : type, data.toString(), System.nanoTime()));
        }
        data.setLength(0);
        hasData = false;
        type = null;
    }
}
