package io.trainwatch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EventCodec;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A small JSON-over-HTTP client for one Trainwatch server (metrics-api or trainer-host). Every failure becomes a
 * {@link CliException} whose message names the server, the URL and what went wrong, in one line: a problem+json
 * answer is reduced to its title, detail and field errors.
 */
public final class ApiClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final String serverName;
    private final URI base;
    private final HttpClient http;
    private final ObjectMapper mapper;

    /** A plain response: status, body text and the headers a caller may need. */
    public record TextResponse(int status, String body, Optional<String> etag, Optional<String> contentType) {
    }

    public ApiClient(String serverName, String baseUrl) {
        this.serverName = serverName;
        this.base = parseBase(serverName, baseUrl);
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
        this.mapper = EventCodec.newMapper();
    }

    static URI parseBase(String serverName, String baseUrl) {
        String text = baseUrl == null ? "" : baseUrl.trim();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            URI uri = URI.create(text);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.ERROR, serverName + " URL: must be an http(s) URL such as http://localhost:8080, was \""
                    + baseUrl + "\"");
        }
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public String baseUrl() {
        return base.toString();
    }

    /** GET a JSON document; any status but 2xx is a CliException. */
    public JsonNode getJson(String pathAndQuery) {
        TextResponse r = send(request(pathAndQuery).header("Accept", "application/json").GET().build());
        requireSuccess(r, pathAndQuery);
        return parse(r.body(), pathAndQuery);
    }

    /** GET with extra headers; 2xx and 304 come back, anything else is a CliException. */
    public TextResponse get(String pathAndQuery, Map<String, String> headers) {
        HttpRequest.Builder b = request(pathAndQuery).GET();
        headers.forEach(b::header);
        TextResponse r = send(b.build());
        if (r.status() != 304) {
            requireSuccess(r, pathAndQuery);
        }
        return r;
    }

    /** POST a JSON body and read the JSON answer; any status but 2xx is a CliException. */
    public JsonNode postJson(String pathAndQuery, JsonNode body) {
        String json;
        try {
            json = mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new CliException(ExitCodes.ERROR, "request body: cannot be written as JSON: " + e.getOriginalMessage());
        }
        TextResponse r = send(request(pathAndQuery).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
        requireSuccess(r, pathAndQuery);
        return r.body().isBlank() ? mapper.createObjectNode() : parse(r.body(), pathAndQuery);
    }

    /** DELETE a resource; any status but 2xx is a CliException. */
    public void delete(String path) {
        TextResponse r = send(request(path).header("Accept", "application/json").DELETE().build());
        requireSuccess(r, path);
    }

    /**
     * Opens an SSE stream. A non-200 answer (an unknown run is a 404 problem) is an {@link HttpStatusException};
     * the caller reads the lines and closes the connection.
     */
    SseConnection openEventStream(String path, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path)).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw failure(response.statusCode(), body, path);
        }
        return new SseConnection(response.body());
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(resolve(pathAndQuery)).timeout(REQUEST_TIMEOUT);
    }

    private URI resolve(String pathAndQuery) {
        return URI.create(base + pathAndQuery);
    }

    private TextResponse send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new TextResponse(r.statusCode(), r.body(), r.headers().firstValue("ETag"),
                    r.headers().firstValue("Content-Type"));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
    }

    /** One line saying which server could not be reached, where, and why. */
    CliException unreachable(IOException e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) {
            why = "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        } else if (e instanceof HttpTimeoutException) {
            why = "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
        } else if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            why = "connection refused; is it running?";
        } else if (e.getCause() instanceof UnresolvedAddressException) {
            why = "unknown host";
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return new HttpStatusException(0, "cannot reach " + serverName + " at " + base + ": " + why);
    }

    private void requireSuccess(TextResponse r, String path) {
        if (r.status() < 200 || r.status() > 299) {
            throw failure(r.status(), r.body(), path);
        }
    }

    /** The problem+json answer (or whatever came) in one line: "metrics-api: 404 Run not found: no run with id "x"". */
    HttpStatusException failure(int status, String body, String path) {
        StringBuilder line = new StringBuilder(serverName).append(": ").append(status);
        JsonNode problem = null;
        try {
            problem = body == null || body.isBlank() ? null : mapper.readTree(body);
        } catch (JsonProcessingException e) {
            // not JSON: the status alone tells the story
        }
        if (problem != null && problem.isObject()) {
            if (problem.hasNonNull("title")) {
                line.append(' ').append(problem.get("title").asText());
            }
            if (problem.hasNonNull("detail")) {
                line.append(": ").append(problem.get("detail").asText());
            }
            JsonNode errors = problem.path("errors");
            if (errors.isArray() && errors.size() > 0) {
                String detail = problem.path("detail").asText("");
                StringBuilder fields = new StringBuilder();
                for (JsonNode fe : errors) {
                    String text = fe.path("field").asText("?") + ": " + fe.path("message").asText("");
                    if (!detail.contains(text)) {
                        fields.append(fields.length() == 0 ? "" : "; ").append(text);
                    }
                }
                if (fields.length() > 0) {
                    line.append(" (").append(fields).append(')');
                }
            }
        } else {
            line.append(" for ").append(path);
        }
        return new HttpStatusException(status, line.toString());
    }

    private JsonNode parse(String body, String path) {
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new CliException(ExitCodes.ERROR, serverName + ": the answer to " + path + " is not JSON: "
                    + e.getOriginalMessage());
        }
    }

    /** A CliException that remembers the HTTP status (0: no answer at all), so callers can wait for a run to appear. */
    public static final class HttpStatusException extends CliException {
        private final int status;

        HttpStatusException(int status, String message) {
            super(ExitCodes.ERROR, message);
            this.status = status;
        }

        /** The HTTP status; 0 when the server could not be reached. */
        public int status() {
            return status;
        }
    }
}
