package io.trainwatch.cli;

/**
 * One dispatched Server-Sent Event.
 *
 * @param id the event's id, or the last id seen on the stream when the event had none (as browsers keep it)
 * @param type the {@code event:} field; {@code message} when absent
 * @param data the {@code data:} lines joined with '\n'
 */
public record SseEvent(String id, String type, String data) {
}
