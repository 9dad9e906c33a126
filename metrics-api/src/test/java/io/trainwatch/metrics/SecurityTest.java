package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.trainwatch.contracts.Topics;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Tokens, scopes, projects, revocation and the audit log, as a client meets them. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class SecurityTest {

    @TestHTTPResource("/api/v1/events")
    URI events;

    @BeforeEach
    void noDefaultToken() {
        // Every request here says which token it sends, or that it sends none.
        RestAssured.requestSpecification = null;
    }

    private static RequestSpecification as(String secret) {
        return given().header("Authorization", TestTokens.bearer(secret));
    }

    private static String storedRun(String prefix, String project) {
        String runId = TestRuns.newRunId(prefix);
        KafkaTestClient.send(Topics.RUN_EVENTS, TestRuns.started(runId, project, 10));
        await().atMost(IngestTest.WAIT).untilAsserted(() -> as(TestAuth.SECRET).get("/api/v1/runs/{id}", runId)
                .then().statusCode(200));
        return runId;
    }

    @Test
    void withoutATokenTheApiAnswers401WithABearerChallengeButHealthAndDashboardStayOpen() {
        given().get("/api/v1/runs").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer")).body("status", equalTo(401));
        given().header("Authorization", "Basic dXNlcjpwYXNz").get("/api/v1/runs").then().statusCode(401)
                .header("WWW-Authenticate", containsString("invalid_request"));
        given().header("Authorization", "Bearer tw_nobody").get("/api/v1/runs").then().statusCode(401)
                .header("WWW-Authenticate", containsString("invalid_token"));
        // A query token is accepted on the SSE routes only.
        given().queryParam("access_token", TestAuth.SECRET).get("/api/v1/runs").then().statusCode(401);
        given().get("/q/health/live").then().statusCode(200);
        given().get("/").then().statusCode(200);
        as(TestAuth.SECRET).get("/api/v1/tokens/self").then().statusCode(200).body("name", equalTo("test-admin"))
                .body("scopes", hasItem("admin"));
    }

    @Test
    void aReadTokenCannotCancelAndTheRefusalIsAudited() {
        String runId = storedRun("sec-read", "proj-sec");
        String reader = TestTokens.create("reader-" + System.nanoTime(), List.of("read"), List.of());
        as(reader).get("/api/v1/runs/{id}", runId).then().statusCode(200);
        as(reader).contentType(ContentType.JSON).body("{\"reason\":\"try\"}").post("/api/v1/runs/{id}/cancel", runId)
                .then().statusCode(403).contentType("application/problem+json").body("detail", containsString("control"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> as(TestAuth.SECRET).queryParam("run_id", runId)
                .get("/api/v1/audit").then().statusCode(200)
                .body("entries.outcome", hasItem("refused")));
        as(TestAuth.SECRET).contentType(ContentType.JSON).body("{\"reason\":\"enough\",\"requested_by\":\"someone-else\"}")
                .post("/api/v1/runs/{id}/cancel", runId).then().statusCode(202);
        as(TestAuth.SECRET).get("/api/v1/runs/{id}", runId).then().body("cancel.requested_by", equalTo("test-admin"));
        as(TestAuth.SECRET).queryParam("run_id", runId).get("/api/v1/audit").then().statusCode(200)
                .body("entries[0].action", equalTo("run.cancel")).body("entries[0].principal", equalTo("test-admin"))
                .body("entries[0].outcome", equalTo("allowed")).body("entries[0].remote_address", not(equalTo(null)));
    }

    @Test
    void aProjectLimitedTokenSeesNothingOfOtherProjects() throws Exception {
        String mine = storedRun("sec-mine", "proj-mine");
        String theirs = storedRun("sec-theirs", "proj-theirs");
        String limited = TestTokens.create("limited-" + System.nanoTime(), List.of("read", "ingest", "control"),
                List.of("proj-mine"));
        as(limited).queryParam("limit", 500).get("/api/v1/runs").then().statusCode(200)
                .body("runs.project", everyItem(equalTo("proj-mine"))).body("runs.run_id", hasItem(mine));
        as(limited).get("/api/v1/runs/{id}", mine).then().statusCode(200);
        for (String path : List.of("", "/metrics", "/steps", "/analysis", "/alerts")) {
            as(limited).get("/api/v1/runs/{id}" + path, theirs).then().statusCode(404).body("type", containsString("run-not-found"));
        }
        as(limited).queryParam("run", mine).queryParam("run", theirs).get("/api/v1/compare").then().statusCode(404);
        as(limited).contentType(ContentType.JSON).body("{\"reason\":\"mine now\"}").post("/api/v1/runs/{id}/cancel", theirs)
                .then().statusCode(404);
        as(limited).contentType(ContentType.JSON).body(TestRuns.startedJson(TestRuns.newRunId("sec-post"), "proj-theirs"))
                .post("/api/v1/runs").then().statusCode(403).body("detail", containsString("proj-theirs"));

        // The global stream carries only its projects' events: a run of another project stored first never shows.
        try (SseClientForTests sse = new SseClientForTests(URI.create(events + "?types=status&access_token=" + limited), null, null)) {
            assertEquals(200, sse.status);
            String otherLater = storedRun("sec-other", "proj-theirs");
            String mineLater = storedRun("sec-mine2", "proj-mine");
            SseClientForTests.Event seen;
            do {
                seen = sse.next(Duration.ofSeconds(20));
                assertNotNull(seen, "no event of " + mineLater);
                assertFalse(seen.data().contains(otherLater), "another project's run was streamed: " + seen.data());
            } while (!seen.data().contains(mineLater));
        }
    }

    @Test
    void aTokenWorksOnceCreatedIsRefusedOnceRevokedAndAnExpiredOneWhenItExpires() {
        // No waiting on this replica: the answer to create/revoke comes after its own token cache has the change
        // (other replicas follow within a second: ReplicasIT).
        String name = "revoke-me-" + System.nanoTime();
        String secret = TestTokens.create(name, List.of("read"), List.of());
        as(secret).get("/api/v1/runs").then().statusCode(200);
        TestTokens.revoke(name);
        as(secret).get("/api/v1/runs").then().statusCode(401);
        as(TestAuth.SECRET).get("/api/v1/tokens").then().statusCode(200).body("tokens.name", hasItem(name))
                .body("tokens.secret", everyItem(equalTo(null)));
        as(TestAuth.SECRET).queryParam("limit", 50).get("/api/v1/audit").then()
                .body("entries.action", hasItem("token.revoke"));

        String soon = TestTokens.create("expiring-" + System.nanoTime(), List.of("read"), List.of(),
                Instant.now().plusSeconds(2).toString());
        as(soon).get("/api/v1/runs").then().statusCode(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> as(soon).get("/api/v1/runs").then().statusCode(401));
    }

    @Test
    void tokenRequestsAreValidatedFieldByField() {
        as(TestAuth.SECRET).contentType(ContentType.JSON).body("{\"name\":\"x\",\"scopes\":[\"root\"]}").post("/api/v1/tokens")
                .then().statusCode(422).body("errors[0].field", equalTo("scopes"));
        as(TestAuth.SECRET).contentType(ContentType.JSON).body("{\"name\":\"x y\",\"scopes\":[\"read\"]}").post("/api/v1/tokens")
                .then().statusCode(422).body("errors[0].field", equalTo("name"));
        as(TestAuth.SECRET).contentType(ContentType.JSON).body("{\"name\":\"adm\",\"scopes\":[\"admin\"],\"projects\":[\"p\"]}")
                .post("/api/v1/tokens").then().statusCode(422).body("errors[0].field", equalTo("projects"));
        String reader = TestTokens.create("not-admin-" + System.nanoTime(), List.of("read", "ingest", "control"), List.of());
        as(reader).get("/api/v1/tokens").then().statusCode(403).body("detail", containsString("admin"));
    }

    @Test
    void mcpRefusesForeignOriginsAndUnauthenticatedCalls() {
        String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
        given().contentType(ContentType.JSON).accept("application/json, text/event-stream").body(init).post("/mcp")
                .then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"));
        as(TestAuth.SECRET).header("Origin", "http://evil.example").contentType(ContentType.JSON)
                .accept("application/json, text/event-stream").body(init).post("/mcp").then().statusCode(403);
        as(TestAuth.SECRET).contentType(ContentType.JSON).accept("application/json, text/event-stream").body(init)
                .post("/mcp").then().statusCode(200);
    }
}
