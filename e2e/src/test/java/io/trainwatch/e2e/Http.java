package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EventCodec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A tiny JSON-over-HTTP client for the tests: the public API is all the tests use. */
final class Http {

    static final ObjectMapper JSON = EventCodec.newMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code contentType}, {@code retryAfter}: the response's Content-Type and Retry-After headers, null when absent. */
    record Reply(int status, JsonNode body, String raw, String contentType, String retryAfter) {
    }

    private Http() {
    }

    static Reply get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    static Reply post(String url, Object body) {
        try {
            String json = body instanceof String s ? s : JSON.writeValueAsString(body);
            return send(HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET with the given token instead of the e2e admin token. */
    static Reply get(String url, String bearerSecret) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), "Bearer " + bearerSecret);
    }

    /**
     * Any request, as sent by a careless or hostile client: {@code headers} are set after the e2e token (so an
     * {@code Authorization} among them replaces it); {@code body} may be null. A body that is not JSON is kept raw.
     */
    static Reply request(String method, String url, java.util.Map<String, String> headers, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        request.header("Authorization", TrainwatchSystem.BEARER);
        headers.forEach(request::setHeader);
        return exchange(request);
    }

    static Reply delete(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).DELETE());
    }

    private static Reply send(HttpRequest.Builder request) {
        return send(request, TrainwatchSystem.BEARER);
    }

    private static Reply send(HttpRequest.Builder request, String authorization) {
        request.header("Authorization", authorization);
        return exchange(request);
    }

    private static Reply exchange(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = null;
            String text = r.body() == null ? "" : r.body().trim();
            if (text.startsWith("{") || text.startsWith("[")) {
                try {
                    body = JSON.readTree(r.body());
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    body = null; // raw() still has it
                }
            }
            return new Reply(r.statusCode(), body, r.body(), r.headers().firstValue("content-type").orElse(null),
                    r.headers().firstValue("retry-after").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GET that must answer 200 with JSON. */
    static JsonNode json(String url) {
        Reply r = get(url);
        if (r.status() != 200 || r.body() == null) {
            throw new AssertionError("GET " + url + " answered " + r.status() + ": " + r.raw());
        }
        return r.body();
    }
}
