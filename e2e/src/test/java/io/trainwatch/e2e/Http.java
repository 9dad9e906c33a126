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

    record Reply(int status, JsonNode body, String raw) {
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

    static Reply delete(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).DELETE());
    }

    private static Reply send(HttpRequest.Builder request) {
        return send(request, TrainwatchSystem.BEARER);
    }

    private static Reply send(HttpRequest.Builder request, String authorization) {
        request.header("Authorization", authorization);
        try {
            HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = null;
            String text = r.body() == null ? "" : r.body().trim();
            if (text.startsWith("{") || text.startsWith("[")) {
                body = JSON.readTree(r.body());
            }
            return new Reply(r.statusCode(), body, r.body());
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
