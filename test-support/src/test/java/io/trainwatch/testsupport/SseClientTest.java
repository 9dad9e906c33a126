package io.trainwatch.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client against a real HTTP server (the JDK's): headers sent, CRLF framing, comments, end and close. */
class SseClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private HttpServer server;
    private final Map<String, String> requestHeaders = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch disconnected = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/stream", this::stream);
        server.createContext("/ends", ex -> respond(ex, 200, "text/event-stream", "id: 9\r\ndata: last\r\n\r\n"));
        server.createContext("/denied", ex -> respond(ex, 401, "application/problem+json", "{\"title\":\"no\"}"));
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** Two CRLF-framed events and a comment, then holds the stream open until released, writing heartbeats. */
    private void stream(HttpExchange ex) throws IOException {
        ex.getRequestHeaders().forEach((k, v) -> requestHeaders.put(k.toLowerCase(), v.get(0)));
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        try {
            write(out, ":connected\r\n\r\nretry: 2500\r\nid: r1/1\r\nevent: epoch\r\ndata: {\"epoch\":1,\r\ndata: \"x\":2}\r\n\r\n"
                    + "event: status\rdata: done\n\n");
            while (!release.await(50, TimeUnit.MILLISECONDS)) {
                write(out, ": heartbeat\r\n");   // a write fails once the client has gone
            }
        } catch (IOException | InterruptedException gone) {
            disconnected.countDown();
        } finally {
            ex.close();
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    @Test
    void sendsItsHeadersAndParsesCrLfFramedEvents() throws Exception {
        try (SseClient sse = SseClient.to(uri("/stream")).authorization("Bearer t0k").lastEventId("r1/0").open()) {
            assertEquals(200, sse.status());
            assertEquals("text/event-stream", sse.contentType());
            SseClient.Event first = sse.next(WAIT);
            assertEquals("r1/1", first.id());
            assertEquals("epoch", first.type());
            assertEquals(2, first.json().get("x").asInt(), "two data lines joined: " + first.data());
            SseClient.Event second = sse.next("status", WAIT);
            assertEquals("done", second.data());
            assertEquals("r1/1", second.id(), "the last id carries over");
            assertEquals(2500L, sse.retryMillis());
            assertEquals("connected", sse.comments().get(0));
            assertEquals(List.of(first, second), sse.events());
            assertEquals("Bearer t0k", requestHeaders.get("authorization"));
            assertEquals("r1/0", requestHeaders.get("last-event-id"));
            assertEquals("text/event-stream", requestHeaders.get("accept"));
            assertNull(sse.next(Duration.ofMillis(200)), "heartbeats are no events");
            assertTrue(!sse.ended());
        }
    }

    @Test
    void closeDisconnectsFromTheServer() throws Exception {
        SseClient sse = SseClient.to(uri("/stream")).open();
        sse.next(WAIT);
        sse.close();
        assertTrue(disconnected.await(10, TimeUnit.SECONDS), "the server saw the connection go");
        assertTrue(sse.ended());
        assertTrue(!sse.endedByServer());
    }

    @Test
    void knowsWhenTheServerEndsTheStream() throws Exception {
        try (SseClient sse = SseClient.to(uri("/ends")).open()) {
            assertTrue(sse.awaitEnd(WAIT));
            assertTrue(sse.endedByServer());
            assertEquals("last", sse.next(WAIT).data());
        }
    }

    @Test
    void anErrorStatusKeepsItsBodyAndOpenOkRefusesIt() throws Exception {
        try (SseClient sse = SseClient.to(uri("/denied")).open()) {
            assertEquals(401, sse.status());
            assertTrue(sse.awaitEnd(WAIT));
            assertEquals("{\"title\":\"no\"}", sse.errorBody());
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> SseClient.to(uri("/denied")).openOk());
        assertTrue(refused.getMessage().contains("401") && refused.getMessage().contains("title"), refused.getMessage());
    }
}
