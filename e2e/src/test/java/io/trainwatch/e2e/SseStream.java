package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One SSE connection read on its own thread, keeping the events of one type it receives (the e2e tests' only SSE
 * client). {@code lastEventId} (may be null) is sent as {@code Last-Event-ID}, so the server replays what came after.
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
    private final String type;
    private final InputStream body;
    private volatile boolean ended;

    /** Opens the stream and returns once the server answered 200 (its headers). */
    SseStream(URI uri, String type, String lastEventId) throws IOException, InterruptedException {
        this.type = type;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                .header("Authorization", TrainwatchSystem.BEARER);
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("SSE " + uri + " answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        body = response.body();
        Thread reader = new Thread(this::read, "sse-" + uri.getPort());
        reader.setDaemon(true);
        reader.start();
    }

    /** A stream of {@code epoch} events. */
    SseStream(URI uri) throws IOException, InterruptedException {
        this(uri, "epoch", null);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String name = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:") && type.equals(name)) {
                    events.add(new Event(id, System.nanoTime(), Http.JSON.readTree(line.substring(5).trim())));
                } else if (line.isEmpty()) {
                    id = null;
                    name = null;
                }
            }
        } catch (IOException e) {
            // closed by the test, or the server dropped the connection: both end the stream
        } finally {
            ended = true;
        }
    }

    List<Event> events() {
        return events;
    }

    /** The epoch events as {run id, epoch, SSE id}. */
    List<String[]> epochs() {
        return events.stream().map(e -> new String[] {e.runId(), Integer.toString(e.epoch()), e.id()}).toList();
    }

    /** True once the server closed the stream (or {@link #close} was called). */
    boolean ended() {
        return ended;
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
