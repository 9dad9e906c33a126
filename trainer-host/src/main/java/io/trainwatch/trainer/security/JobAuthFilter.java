package io.trainwatch.trainer.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.trainwatch.trainer.TrainerConfig;
import io.trainwatch.trainer.rest.Problem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The job API needs the same tokens as metrics-api: GET needs {@code read}, POST {@code ingest}, DELETE
 * {@code control}. metrics-api owns the tokens, so this host asks its {@code GET /api/v1/tokens/self} and trusts the
 * answer for {@code trainwatch.auth.cache-for} (1 s): one source of truth, and a revocation applies here within it.
 * A project-limited token is refused here (403): jobs are not filtered by project on this host.
 */
@ApplicationScoped
public class JobAuthFilter {

    private static final Logger LOG = Logger.getLogger(JobAuthFilter.class);

    record Checked(int status, Set<String> scopes, boolean limited, long at) {
    }

    @Inject
    TrainerConfig config;

    @Inject
    ObjectMapper mapper;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Map<String, Checked> checked = new ConcurrentHashMap<>();

    void warn(@Observes StartupEvent ignored) {
        if (!config.auth().enabled()) {
            LOG.warn("trainwatch.auth.enabled=false: THE JOB API ACCEPTS EVERY REQUEST. Use it only in tests.");
        } else if (config.auth().metricsApiUrl().isEmpty()) {
            LOG.warn("trainwatch.auth.metrics-api-url is not set: every job API request is refused (503)");
        }
    }

    @ServerRequestFilter
    public Uni<Response> authorize(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!config.auth().enabled() || !path.startsWith("/api/")) {
            return null;
        }
        String scope = switch (request.getMethod()) {
            case "GET", "HEAD" -> "read";
            case "DELETE" -> "control";
            default -> "ingest";
        };
        String header = request.getHeaderString("Authorization");
        if (header == null) {
            return Uni.createFrom().item(unauthorized(null, "this endpoint needs a bearer token: send Authorization: Bearer <token>"));
        }
        if (header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            return Uni.createFrom().item(unauthorized("invalid_request", "Authorization: must be \"Bearer <token>\""));
        }
        String token = header.substring(7).trim();
        if (config.auth().metricsApiUrl().isEmpty()) {
            return Uni.createFrom().item(problem(503, "auth-unavailable", "Service unavailable",
                    "this trainer host cannot check tokens: trainwatch.auth.metrics-api-url is not set"));
        }
        String key = sha256(token);
        Checked known = checked.get(key);
        long now = System.nanoTime();
        Uni<Checked> answer = known != null && now - known.at() < config.auth().cacheFor().toNanos()
                ? Uni.createFrom().item(known) : ask(token).invoke(c -> {
                    if (c.status() == 200 || c.status() == 401) {
                        checked.put(key, c);
                    }
                });
        return answer.map(c -> decide(c, scope)).onFailure().recoverWithItem(f -> {
            LOG.warnf("cannot check a token with metrics-api: %s", f.toString());
            return problem(503, "auth-unavailable", "Service unavailable",
                    "metrics-api, which checks tokens, did not answer; retry later");
        });
    }

    private Response decide(Checked c, String scope) {
        if (c.status() == 401) {
            return unauthorized("invalid_token", "the bearer token is unknown, revoked or expired");
        }
        if (c.status() != 200) {
            return problem(503, "auth-unavailable", "Service unavailable", "metrics-api answered " + c.status()
                    + " when asked about the token; retry later");
        }
        if (!c.scopes().contains(scope) && !c.scopes().contains("admin")) {
            return problem(403, "forbidden", "Forbidden", "the token lacks the scope " + scope + " this request needs");
        }
        if (c.limited()) {
            return problem(403, "forbidden", "Forbidden", "a project-limited token cannot use the trainer host's job API");
        }
        return null;
    }

    private Uni<Checked> ask(String token) {
        URI uri = URI.create(config.auth().metricsApiUrl().get().replaceAll("/+$", "") + "/api/v1/tokens/self");
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + token)
                .header("Accept", "application/json").GET().build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(req, HttpResponse.BodyHandlers.ofString()))
                .map(r -> {
                    if (r.statusCode() != 200) {
                        return new Checked(r.statusCode(), Set.of(), false, System.nanoTime());
                    }
                    try {
                        JsonNode self = mapper.readTree(r.body());
                        Set<String> scopes = new HashSet<>();
                        self.path("scopes").forEach(s -> scopes.add(s.asText()));
                        return new Checked(200, scopes, self.has("projects"), System.nanoTime());
                    } catch (java.io.IOException e) {
                        return new Checked(502, Set.of(), false, System.nanoTime());
                    }
                });
    }

    private static Response unauthorized(String error, String detail) {
        Response r = problem(401, "unauthorized", "Unauthorized", detail);
        return Response.fromResponse(r).header("WWW-Authenticate",
                "Bearer realm=\"trainwatch\"" + (error == null ? "" : ", error=\"" + error + "\"")).build();
    }

    private static Response problem(int status, String kind, String title, String detail) {
        return Problem.of(kind, title, status, detail, null, List.of()).toResponse();
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
