package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.testsupport.SseClient;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The e2e view of one stream read by the shared {@link SseClient} (which connects and parses): the events of one type,
 * with their JSON data and the run id, epoch and position the tests check. {@code lastEventId} (may be null) is sent
 * as {@code Last-Event-ID}, so the server replays what came after. It parses nothing itself: it keeps the e2e checks'
 * domain view (events of one type, JSON parsed once on arrival, run id / epoch / position) in one place instead of
 * at each of its callers (InputFaultsIT, ReplicasIT, FaultLedger).
 */
final class SseStream implements AutoCloseable {

    /** One event: its SSE id, the receive time (System.nanoTime) and its JSON data. */
    record Event(String id, long receivedNanos, JsonNode data) {
        String runId() {
            return data.path("run_id").asText();
        }

        int epoch() {
            return data.path("epoch").asInt();
        }

        /** The position in the id ({@code <position>} or {@code <run id>/<position>}). */
        long position() {
            return Long.parseLong(id.substring(id.lastIndexOf('/') + 1));
        }
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final SseClient client;

    /** Opens the stream and returns once the server answered 200 (its headers). */
    SseStream(URI uri, String type, String lastEventId) throws IOException, InterruptedException {
        this.client = SseClient.to(uri).authorization(TrainwatchSystem.BEARER).lastEventId(lastEventId)
                .onEvent(e -> {
                    if (type.equals(e.type())) {   // parsed once, as it arrives
                        events.add(new Event(e.id(), e.receivedNanos(), e.json()));
                    }
                }).openOk();
    }

    /** A stream of {@code epoch} events. */
    SseStream(URI uri) throws IOException, InterruptedException {
        this(uri, "epoch", null);
    }

    /** The events of this stream's type received so far, in arrival order. */
    List<Event> events() {
        return events;
    }

    /** The epoch events as {run id, epoch, SSE id}. */
    List<String[]> epochs() {
        return events().stream().map(e -> new String[] {e.runId(), Integer.toString(e.epoch()), e.id()}).toList();
    }

    /** True once the server closed the stream (or {@link #close} was called). */
    boolean ended() {
        return client.ended();
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
