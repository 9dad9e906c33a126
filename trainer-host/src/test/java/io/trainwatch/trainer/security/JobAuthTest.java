package io.trainwatch.trainer.security;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

/** The job API with auth on, against a stand-in metrics-api that knows three tokens. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
@TestProfile(JobAuthTest.AuthOn.class)
class JobAuthTest {

    /** Auth on; metrics-api is a JDK HTTP server answering GET /api/v1/tokens/self for the tokens below. */
    public static class AuthOn implements QuarkusTestProfile {

        static final Map<String, String> SELF = Map.of(
                "Bearer tw_reader", "{\"name\":\"reader\",\"scopes\":[\"read\"]}",
                "Bearer tw_controller", "{\"name\":\"controller\",\"scopes\":[\"read\",\"control\"]}",
                "Bearer tw_limited", "{\"name\":\"limited\",\"scopes\":[\"read\",\"ingest\",\"control\"],\"projects\":[\"p\"]}");

        static int port = startStandIn();

        static int startStandIn() {
            try {
                HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                server.createContext("/api/v1/tokens/self", ex -> {
                    String body = SELF.get(ex.getRequestHeaders().getFirst("Authorization"));
                    byte[] bytes = (body == null ? "{\"status\":401}" : body).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(body == null ? 401 : 200, bytes.length);
                    ex.getResponseBody().write(bytes);
                    ex.close();
                });
                server.start();
                return server.getAddress().getPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("trainwatch.auth.enabled", "true",
                    "trainwatch.auth.metrics-api-url", "http://127.0.0.1:" + port);
        }
    }

    @Test
    void jobRequestsNeedATokenWithTheScopeAndNoProjectLimit() {
        given().get("/api/v1/jobs").then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"))
                .contentType("application/problem+json");
        given().header("Authorization", "Bearer tw_unknown").get("/api/v1/jobs").then().statusCode(401);
        given().header("Authorization", "Bearer tw_reader").get("/api/v1/jobs").then().statusCode(200);
        given().header("Authorization", "Bearer tw_reader").delete("/api/v1/jobs/{id}", "no-such-job").then().statusCode(403)
                .body("detail", containsString("control"));
        given().header("Authorization", "Bearer tw_reader").contentType("application/json").body("{\"preset\":\"healthy\"}")
                .post("/api/v1/jobs").then().statusCode(403).body("detail", containsString("ingest"));
        given().header("Authorization", "Bearer tw_controller").delete("/api/v1/jobs/{id}", "no-such-job").then().statusCode(404);
        given().header("Authorization", "Bearer tw_limited").get("/api/v1/jobs").then().statusCode(403);
        given().get("/q/health/live").then().statusCode(200);
    }
}
