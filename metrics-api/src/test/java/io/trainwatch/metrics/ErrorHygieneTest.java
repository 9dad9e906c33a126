package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests of every kind: never a 5xx, never a stack trace, SQL or class name in the body; secrets redacted. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class ErrorHygieneTest {

    static final Pattern LEAK = Pattern.compile("(Exception|\\bat [a-z]+\\.[a-z]|\\bjava\\.|\\bio\\.(vertx|quarkus|trainwatch)|"
            + "\\borg\\.|SELECT |INSERT |UPDATE |\\bSQL)");

    @TestHTTPResource("/")
    URI base;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void badRequestsNeverAnswer5xxNorLeakInternals() throws Exception {
        String huge = "[" + "{\"epoch\":1},".repeat(400_000) + "{\"epoch\":2}]";
        String[][] cases = {
                {"POST", "/api/v1/runs", "{not json"},
                {"POST", "/api/v1/runs", "[]"},
                {"POST", "/api/v1/runs", "{\"run_id\":5,\"total_epochs\":\"many\"}"},
                {"POST", "/api/v1/runs", "{\"run_id\":\"a\",\"hyperparameters\":{\"x\":{\"y\":[1,{\"z\":null}]}},\"monitor\":{\"patience\":-1}}"},
                {"POST", "/api/v1/runs/x/metrics", huge},
                {"POST", "/api/v1/runs/x/metrics", "{\"epoch\":\"NaN\",\"val_loss\":{}}"},
                {"POST", "/api/v1/runs/x/cancel", "\"reason\""},
                {"POST", "/api/v1/tokens", "{\"name\":null,\"scopes\":{}}"},
                {"POST", "/api/v1/tokens", "{\"name\":\"n\",\"scopes\":[\"read\"],\"expires_at\":\"yesterday\"}"},
                {"GET", "/api/v1/runs?limit=-1&cursor=%00%01", null},
                {"GET", "/api/v1/runs/..%2F..%2Fetc%2Fpasswd", null},
                {"GET", "/api/v1/runs/" + "x".repeat(5000), null},
                {"GET", "/api/v1/runs/%C0%AE%C0%AE/metrics?since_epoch=1e99&max_points=abc", null},
                {"GET", "/api/v1/compare?run=" + "a,".repeat(50), null},
                {"GET", "/api/v1/audit?limit=99999999999", null},
                {"DELETE", "/api/v1/tokens/%27%20OR%201=1--", null},
        };
        List<String> failures = new ArrayList<>();
        for (String[] c : cases) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + c[1]))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", TestAuth.HEADER)
                    .header("Content-Type", "application/json");
            b.method(c[0], c[2] == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c[2]));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String label = c[0] + " " + (c[1].length() > 80 ? c[1].substring(0, 80) + "…" : c[1]);
            if (r.statusCode() >= 500) {
                failures.add(label + ": " + r.statusCode() + " " + r.body());
            } else if (r.statusCode() >= 400 && LEAK.matcher(r.body()).find()) {
                failures.add(label + ": leaks internals: " + r.body());
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        given().contentType(ContentType.JSON).body(huge).post("/api/v1/runs/x/metrics").then().statusCode(413)
                .contentType("application/problem+json");
    }

    @Test
    void secretLookingHyperparametersAreStoredRedacted() {
        String runId = TestRuns.newRunId("redact");
        given().contentType(ContentType.JSON).body("{\"run_id\":\"" + runId + "\",\"project\":\"p\",\"total_epochs\":3,"
                + "\"hyperparameters\":{\"api_key\":\"sk-live-123\",\"learning_rate\":0.01,\"DB_PASSWORD\":\"hunter2\"}}")
                .post("/api/v1/runs").then().statusCode(202);
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/api/v1/runs/{id}", runId).then().statusCode(200)
                .body("hyperparameters.api_key", equalTo("***")).body("hyperparameters.DB_PASSWORD", equalTo("***"))
                .body("hyperparameters.learning_rate", equalTo(0.01f)));
    }
}
