package io.trainwatch.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One server-sent event stream on the JDK {@link HttpClient}, as a browser's EventSource reads it (without the
 * reconnection: a test decides when to reconnect, with {@link Builder#lastEventId}). The body is read as it arrives,
 * without a thread of its own, and parsed by {@link SseLineParser}; events wait in a queue for {@link #next} and are
 * also all kept for {@link #events()}. Comments (e.g. the server's opening {@code :connected}) are kept apart.
 *
 * <pre>{@code
 * try (SseClient sse = SseClient.to(uri).authorization("Bearer …").lastEventId("r1/7").open()) {
 *     assertEquals(200, sse.status());
 *     SseClient.Event e = sse.next(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class SseClient implements AutoCloseable {

    /** One dispatched event: its id (the last event id, null when none), type, data and receive time (nanoTime). */
    public record Event(String id, String type, String data, long receivedNanos) {

        private static final ObjectMapper JSON = new ObjectMapper();

        /** The data parsed as JSON. */
        public JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new UncheckedIOException("SSE event " + id + " (" + type + "): data is not JSON: " + data, e);
            }
        }
    }

    /** Shared by the clients that bring none: HTTP/1.1 as a browser speaks to a plain-text server. */
    private static final HttpClient DEFAULT_HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();

    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private final SseLineParser parser;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final URI uri;
    private volatile Flow.Subscription subscription;
    private volatile boolean closedByClient;
    private volatile int status;
    private volatile String contentType;
    private volatile String errorBody;
    private volatile Throwable failure;

    /** Starts a request to {@code uri}; {@link Builder#open()} sends it. */
    public static Builder to(URI uri) {
        return new Builder(uri);
    }

    /** What to send: headers (Authorization, Last-Event-ID, any other), the client, the time to the headers. */
    public static final class Builder {
        private final URI uri;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private HttpClient http = DEFAULT_HTTP;
        private Duration headersTimeout = Duration.ofSeconds(30);
        private Consumer<Event> onEvent = e -> { };
        private Consumer<String> onComment = c -> { };

        private Builder(URI uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
            headers.put("Accept", "text/event-stream");
        }

        /** Any request header; a null value removes it. */
        public Builder header(String name, String value) {
            if (value == null) {
                headers.remove(name);
            } else {
                headers.put(name, value);
            }
            return this;
        }

        /** The Authorization header's whole value (e.g. "Bearer tw_…"); null sends none. */
        public Builder authorization(String value) {
            return header("Authorization", value);
        }

        /** The Last-Event-ID header, so that the server resumes after that event; null sends none. */
        public Builder lastEventId(String id) {
            return header("Last-Event-ID", id);
        }

        /** The client to send with (e.g. one of a few shared by thousands of streams). */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "httpClient");
            return this;
        }

        /** Also called with each event as it is parsed, on the client's thread (e.g. to time its arrival). */
        public Builder onEvent(Consumer<Event> listener) {
            this.onEvent = Objects.requireNonNull(listener, "onEvent");
            return this;
        }

        /** Also called with each comment as it is parsed (e.g. the server's opening comment: the stream is live). */
        public Builder onComment(Consumer<String> listener) {
            this.onComment = Objects.requireNonNull(listener, "onComment");
            return this;
        }

        /** How long {@link #open()} waits for the response headers. */
        public Builder headersTimeout(Duration timeout) {
            this.headersTimeout = Objects.requireNonNull(timeout, "headersTimeout");
            return this;
        }

        /**
         * Sends the request and returns once the response headers arrived, whatever the status: a 200 is read as an
         * event stream, any other status's body is kept as {@link #errorBody()}.
         */
        public SseClient open() throws IOException, InterruptedException {
            SseClient client = new SseClient(uri, onEvent, onComment);
            client.connect(http, request(), headersTimeout);
            return client;
        }

        /** {@link #open()}, requiring a 200: any other status is an {@link IllegalStateException} with the body. */
        public SseClient openOk() throws IOException, InterruptedException {
            SseClient client = open();
            if (client.status() != 200) {
                client.awaitEnd(Duration.ofSeconds(10));   // the error body is short; read it for the message
                throw new IllegalStateException("SSE " + uri + " answered " + client.status() + ": " + client.errorBody());
            }
            return client;
        }

        /** Sends the request without waiting for anything: for many streams opened at once. */
        public SseClient openAsync() {
            SseClient client = new SseClient(uri, onEvent, onComment);
            client.start(http, request());
            return client;
        }

        private HttpRequest request() {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET();
            headers.forEach(b::header);
            return b.build();
        }
    }

    private SseClient(URI uri, Consumer<Event> onEvent, Consumer<String> onComment) {
        this.uri = uri;
        this.parser = new SseLineParser(e -> {
            received(e);
            onEvent.accept(e);
        }, c -> {
            comments.add(c);
            onComment.accept(c);
        });
    }

    private void connect(HttpClient http, HttpRequest request, Duration timeout) throws IOException,
            InterruptedException {
        CompletableFuture<HttpResponse.ResponseInfo> headers = start(http, request);
        try {
            headers.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException("SSE " + uri + ": " + cause, cause);
        } catch (TimeoutException e) {
            close();
            throw new IOException("SSE " + uri + ": no response headers within " + timeout, e);
        }
    }

    private CompletableFuture<HttpResponse.ResponseInfo> start(HttpClient http, HttpRequest request) {
        CompletableFuture<HttpResponse.ResponseInfo> headers = new CompletableFuture<>();
        http.sendAsync(request, info -> {
            status = info.statusCode();
            contentType = info.headers().firstValue("Content-Type").orElse(null);
            headers.complete(info);
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
                        body -> {
                            errorBody = body;
                            return null;
                        });
            }
            // No line separator given: lines end at CR, LF or CRLF, as the event-stream format says.
            return HttpResponse.BodySubscribers.fromLineSubscriber(new Lines(), s -> null, StandardCharsets.UTF_8, null);
        }).whenComplete((response, error) -> {
            if (error != null) {
                failure = error;
                headers.completeExceptionally(error);
            }
            finished.complete(null);
        });
        return headers;
    }

    /** Feeds the parser; the subscription is kept so that {@link #close} can cancel it (which closes the connection). */
    private final class Lines implements Flow.Subscriber<String> {
        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (closedByClient) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(String line) {
            parser.line(line);
        }

        @Override
        public void onError(Throwable error) {
            failure = error;
            parser.end();
        }

        @Override
        public void onComplete() {
            parser.end();
        }
    }

    /** Waits up to {@code timeout} for the response to end (e.g. for the server to close the stream). */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        try {
            finished.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return ended();
        }
    }

    private void received(Event event) {
        events.add(event);
        queue.add(event);
    }

    /** The response status; 0 until the headers of an {@link Builder#openAsync()} stream arrived. */
    public int status() {
        return status;
    }

    /** The response's Content-Type, or null. */
    public String contentType() {
        return contentType;
    }

    /** The body of a response that was not a 200 (null until it has been read). */
    public String errorBody() {
        return errorBody;
    }

    /** The next event not yet taken, waiting up to {@code timeout}; null when none came. */
    public Event next(Duration timeout) throws InterruptedException {
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The next event of {@code type}, skipping (and taking) others, waiting up to {@code timeout}; null if none. */
    public Event next(String type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            Event e = queue.poll(left, TimeUnit.NANOSECONDS);
            if (e != null && type.equals(e.type())) {
                return e;
            }
        }
        return null;
    }

    /** The events that arrived and were not taken yet, now taken. */
    public List<Event> drain() {
        List<Event> out = new ArrayList<>();
        queue.drainTo(out);
        return out;
    }

    /** Every event received since the stream opened, taken or not, in arrival order. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The comments received (their text after the colon), in arrival order. */
    public List<String> comments() {
        return List.copyOf(comments);
    }

    /** The last event id received, "" when none. */
    public String lastEventId() {
        return parser.lastEventId();
    }

    /** The last {@code retry} value received in milliseconds, or null. */
    public Long retryMillis() {
        return parser.retryMillis();
    }

    /** True once the response ended: the server closed the stream, the connection failed, or {@link #close}. */
    public boolean ended() {
        return finished.isDone() || closedByClient;
    }

    /** True once the server ended the stream or the connection failed (not when this client closed it). */
    public boolean endedByServer() {
        return finished.isDone() && !closedByClient;
    }

    /** Completes when the response ended (the server closed it or the connection failed; not on {@link #close}). */
    public CompletableFuture<Void> whenEnded() {
        return finished.copy();
    }

    /** Why the connection failed, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Closes the connection (cancels the body); events already received stay readable. */
    @Override
    public void close() {
        closedByClient = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
