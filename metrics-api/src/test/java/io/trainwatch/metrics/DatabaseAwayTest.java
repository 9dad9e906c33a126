package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** PostgreSQL away: reads answer 503 with Retry-After naming the database, never 500. */
@QuarkusTest
@TestProfile(DatabaseAwayTest.ReactiveClientOnAClosedPort.class)
@QuarkusTestResource(LocalStackTestResource.class)
class DatabaseAwayTest {

    /** Migrations still run (JDBC, real database); every query of the app goes to a port nobody listens on. */
    public static class ReactiveClientOnAClosedPort implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + closedPort() + "/trainwatch");
        }

        private static int closedPort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void readsAnswer503WithRetryAfter() {
        for (String path : new String[]{"/api/v1/runs", "/api/v1/runs/r1", "/api/v1/runs/r1/metrics"}) {
            given().get(path).then().statusCode(503).contentType("application/problem+json").header("Retry-After", "2")
                    .body("type", equalTo("urn:trainwatch:problem:unavailable"))
                    .body("detail", equalTo("the database is unavailable; retry later"));
        }
    }
}
