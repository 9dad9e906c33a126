package io.trainwatch.metrics;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real SSE client on the JDK HttpClient: reads the stream on its own thread into a queue of parsed events. */
final class SseClientForTests implements AutoCloseable {

    record Event(String id, String type, String data) {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final InputStream body;
    private final Thread reader;
    final int status;
    final String contentType;
    /** True once the server ended the stream (not when the test closed it). */
    volatile boolean ended;

    SseClientForTests(URI uri, String lastEventId) throws IOException, InterruptedException {
        this(uri, lastEventId, TestAuth.HEADER);
    }

    /** {@code authorization}: the Authorization header to send, or null to send none (e.g. ?access_token= in uri). */
    SseClientForTests(URI uri, String lastEventId, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request.GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        status = response.statusCode();
        contentType = response.headers().firstValue("Content-Type").orElse(null);
        body = response.body();
        reader = new Thread(this::read, "sse-test-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0 || type != null) {
                        events.add(new Event(id, type, data.toString()));
                    }
                    id = null;
                    type = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    continue;
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).stripLeading());
                }
            }
            ended = true;
        } catch (IOException e) {
            // closed by the test
        }
    }

    /** The next event, waiting up to {@code timeout}; null when none came. */
    Event next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whatever has already arrived and was not taken yet. */
    java.util.List<Event> drain() {
        java.util.List<Event> out = new java.util.ArrayList<>();
        events.drainTo(out);
        return out;
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
