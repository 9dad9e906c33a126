package io.trainwatch.metrics;

import io.trainwatch.testsupport.SseClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Limits;
import io.trainwatch.stack.LocalStackTestResource;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document describes what the server really answers: a walk over every operation, with good and bad
 * requests, checks each exchange against the live {@code /q/openapi} (status documented, content type documented,
 * body valid against its schema) and fails on anything the document does not describe. It also fails when the
 * document has an operation the walk does not exercise — a new endpoint needs a step here.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class OpenApiContractTest {

    private static final ObjectMapper JSON = EventCodec.newMapper();

    @TestHTTPResource("/")
    URI base;

    private OpenApiValidator validator;
    private final List<String> violations = new ArrayList<>();

    /** Every request sends the admin token unless it says otherwise (auth is on, as in production). */
    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void everyOperationAnswersAsDocumented() throws Exception {
        validator = new OpenApiValidator(given().queryParam("format", "json").get("/q/openapi").asString());
        String project = "oas-" + TestRuns.newRunId("p");
        String runId = TestRuns.newRunId("oas");
        String unknown = TestRuns.newRunId("missing");

        // Tokens and the audit log; the token made here also walks the SSE route's ?access_token= below.
        String tag = Long.toString(System.nanoTime());
        String tokenBody = "{\"name\":\"oas-reader-" + tag + "\",\"scopes\":[\"read\"],\"projects\":[\"" + project + "\"]}";
        String reader = call(201, json().body(tokenBody), "POST", "/api/v1/tokens").path("secret");
        call(409, json().body(tokenBody), "POST", "/api/v1/tokens");
        call(422, json().body("{\"name\":\"x y\",\"scopes\":[\"root\"]}"), "POST", "/api/v1/tokens");
        call(400, json().body("{\"name\":"), "POST", "/api/v1/tokens");
        call(415, given().contentType("text/plain").body(tokenBody), "POST", "/api/v1/tokens");
        // Over quarkus.http.limits.max-body-size (4M): BodyLimitFilter refuses it before any resource runs.
        call(413, json().body("{\"name\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}"), "POST", "/api/v1/tokens");
        String doomed = "oas-doomed-" + tag;
        call(201, json().body("{\"name\":\"" + doomed + "\",\"scopes\":[\"ingest\"],\"expires_at\":\"2099-01-01T00:00:00Z\"}"),
                "POST", "/api/v1/tokens");
        call(200, given(), "GET", "/api/v1/tokens");
        call(400, given().queryParam("x", "\u0000"), "GET", "/api/v1/tokens");
        call(200, given(), "GET", "/api/v1/tokens/self");
        callAs(200, TestTokens.bearer(reader), "GET", "/api/v1/tokens/self");
        call(400, given().queryParam("x", "\u0000"), "GET", "/api/v1/tokens/self");
        // Accepting only problem+json, as a generated client does for an operation whose success has no body.
        call(204, given().accept("application/problem+json"), "DELETE", "/api/v1/tokens/" + doomed);
        call(404, given(), "DELETE", "/api/v1/tokens/" + doomed);

        // Ingest: good and bad bodies.
        ObjectNode started = JSON.valueToTree(TestRuns.started(runId, project, 6));
        call(202, json().body(started.toString()), "POST", "/api/v1/runs");
        call(422, json().body("{\"name\":\"no id\"}"), "POST", "/api/v1/runs");
        call(400, json().body(""), "POST", "/api/v1/runs");
        call(415, given().contentType("text/plain").body(started.toString()), "POST", "/api/v1/runs");
        StringBuilder epochs = new StringBuilder("[");
        for (int e = 0; e < 5; e++) {
            JsonNode epoch = JSON.valueToTree(TestRuns.epoch(runId, e, 6));
            ((ObjectNode) epoch).remove("run_id");
            epochs.append(e == 0 ? "" : ",").append(epoch);
        }
        call(202, json().body(epochs.append("]").toString()), "POST", "/api/v1/runs/" + runId + "/metrics");
        call(422, json().body("{\"epoch\":-3}"), "POST", "/api/v1/runs/" + runId + "/metrics");
        call(400, json().body("{\"epoch\": 1,"), "POST", "/api/v1/runs/" + runId + "/metrics");
        call(413, json().body("[" + "{\"epoch\":1},".repeat(Limits.MAX_EVENTS_PER_REQUEST) + "{\"epoch\":1}]"),
                "POST", "/api/v1/runs/" + runId + "/metrics");
        call(202, json().body("[{\"global_step\":10,\"epoch\":0,\"loss\":0.8,\"event_id\":\"s-10\"},"
                + "{\"global_step\":20,\"epoch\":0,\"loss\":\"NaN\"}]"), "POST", "/api/v1/runs/" + runId + "/steps");
        call(422, json().body("{\"loss\":0.5}"), "POST", "/api/v1/runs/" + runId + "/steps");

        // Reads, once the consumer has stored the epochs.
        await().atMost(IngestTest.WAIT).until(() -> given().get("/api/v1/runs/{id}/analysis", runId)
                .then().extract().path("epoch"), e -> Integer.valueOf(4).equals(e));
        String history = "/api/v1/runs/" + runId + "/metrics";
        Response full = call(200, given(), "GET", history);
        call(200, given().queryParam("since_epoch", "2").queryParam("fields", "train_loss,val_loss"), "GET", history);
        call(200, given().queryParam("max_points", "2"), "GET", history);
        call(200, given().queryParam("format", "csv"), "GET", history);
        call(304, given().header("If-None-Match", full.header("ETag")), "GET", history);
        call(400, given().queryParam("max_points", "0"), "GET", history);
        call(404, given(), "GET", "/api/v1/runs/" + unknown + "/metrics");
        String steps = "/api/v1/runs/" + runId + "/steps";
        Response stepsBody = call(200, given(), "GET", steps);
        call(304, given().header("If-None-Match", stepsBody.header("ETag")), "GET", steps);
        call(400, given().queryParam("since_step", "x"), "GET", steps);
        call(404, given(), "GET", "/api/v1/runs/" + unknown + "/steps");

        call(200, given().queryParam("project", project), "GET", "/api/v1/runs");
        call(200, given().queryParam("limit", "1"), "GET", "/api/v1/runs");
        call(400, given().queryParam("limit", "0"), "GET", "/api/v1/runs");
        call(200, given(), "GET", "/api/v1/runs/" + runId);
        call(404, given(), "GET", "/api/v1/runs/" + unknown);
        Response verdict = call(200, given(), "GET", "/api/v1/runs/" + runId + "/analysis");
        call(304, given().header("If-None-Match", verdict.header("ETag")), "GET", "/api/v1/runs/" + runId + "/analysis");
        call(200, given().queryParam("wait", "0"), "GET", "/api/v1/runs/" + runId + "/control");
        call(400, given().queryParam("wait", "61"), "GET", "/api/v1/runs/" + runId + "/control");
        call(404, given(), "GET", "/api/v1/runs/" + unknown + "/control");
        call(404, given(), "GET", "/api/v1/runs/" + unknown + "/analysis");
        call(200, given(), "GET", "/api/v1/runs/" + runId + "/alerts");
        call(200, given().queryParam("state", "open"), "GET", "/api/v1/runs/" + runId + "/alerts");
        call(400, given().queryParam("state", "closed"), "GET", "/api/v1/runs/" + runId + "/alerts");
        call(404, given(), "GET", "/api/v1/runs/" + unknown + "/alerts");
        call(200, given().queryParam("run", runId).queryParam("max_points", "2"), "GET", "/api/v1/compare");
        call(400, given(), "GET", "/api/v1/compare");
        call(404, given().queryParam("run", runId, unknown), "GET", "/api/v1/compare");
        call(200, given(), "GET", "/api/v1/schemas");
        call(400, given().queryParam("x", "\u0000"), "GET", "/api/v1/schemas");
        call(200, given().accept("application/schema+json"), "GET", "/api/v1/schemas/io.trainwatch.epoch.completed");
        call(200, given().accept("application/schema+json"), "GET", "/api/v1/schemas/epoch.completed");
        call(404, given(), "GET", "/api/v1/schemas/no.such-event");

        // Deletion: a second run, its stream open, is deleted; the stream's last event is the status deleted.
        String doomedRun = TestRuns.newRunId("oas-deleted");
        call(202, json().body(JSON.valueToTree(TestRuns.started(doomedRun, project, 3)).toString()), "POST", "/api/v1/runs");
        String doomedStream = "/api/v1/runs/" + doomedRun + "/events";
        try (SseClient client = SseClient.to(base.resolve(doomedStream)).authorization(TestAuth.HEADER).open()) {
            assertEquals(200, client.status());
            call(204, given().accept("application/problem+json"), "DELETE", "/api/v1/runs/" + doomedRun);
            List<SseClient.Event> events = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                SseClient.Event e = client.next(Duration.ofMillis(200));
                if (e != null) {
                    events.add(e);
                }
                return e != null && e.data().contains("\"status\":\"deleted\"");
            });
            validateFrames(doomedStream, events);
        }
        call(404, given(), "DELETE", "/api/v1/runs/" + doomedRun);

        // Live updates: the stream's first events, and the answers before a stream starts.
        sse("/api/v1/runs/" + runId + "/events", "status", TestAuth.HEADER);
        sse("/api/v1/events?project=" + project + "&last_event_id=0", null, TestAuth.HEADER);
        sse("/api/v1/runs/" + runId + "/events?access_token=" + reader, "status", null);
        call(400, given().accept("text/event-stream").queryParam("types", "bogus"), "GET", "/api/v1/runs/" + runId + "/events");
        call(404, given().accept("text/event-stream"), "GET", "/api/v1/runs/" + unknown + "/events");
        call(400, given().accept("text/event-stream").queryParam("types", "bogus"), "GET", "/api/v1/events");

        // Liveness: a heartbeat, with an empty body or {}, of a stored run only.
        String heartbeat = "/api/v1/runs/" + runId + "/heartbeat";
        call(202, json(), "POST", heartbeat);
        call(202, json().body("{}"), "POST", heartbeat);
        call(422, json().body("{\"run_id\":\"other\"}"), "POST", heartbeat);
        call(404, json(), "POST", "/api/v1/runs/" + unknown + "/heartbeat");

        // Control and the end of the run.
        String cancel = "/api/v1/runs/" + runId + "/cancel";
        call(422, json().body("{\"reason\":\" \"}"), "POST", cancel);
        call(404, json().body("{\"reason\":\"stop\"}"), "POST", "/api/v1/runs/" + unknown + "/cancel");
        call(202, json().body("{\"reason\":\"overfitting\",\"requested_by\":\"openapi-test\"}"), "POST", cancel);
        call(422, json().body("{\"status\":\"exploded\"}"), "POST", "/api/v1/runs/" + runId + "/finish");
        call(202, json().body("{\"status\":\"cancelled\",\"reason\":\"asked\"}"), "POST", "/api/v1/runs/" + runId + "/finish");
        await().atMost(IngestTest.WAIT).until(() -> given().get("/api/v1/runs/{id}", runId).then().extract()
                .path("status"), "cancelled"::equals);
        call(409, json().body("{\"reason\":\"again\"}"), "POST", cancel);
        call(200, given().queryParam("run_id", runId), "GET", "/api/v1/audit");
        call(400, given().queryParam("limit", "1001"), "GET", "/api/v1/audit");

        refusals(runId);

        assertEquals(List.of(), violations, "exchanges the OpenAPI document does not describe");
        assertEquals(validator.operationIds(), validator.seen().keySet(),
                "every operation of the document is exercised (a new endpoint needs a step in this walk)");
        for (Map.Entry<String, java.util.Set<String>> op : validator.seen().entrySet()) {
            assertTrue(op.getValue().stream().anyMatch(s -> s.startsWith("2")), op.getKey() + " answered a 2xx");
            for (String auth : List.of("401", "403")) {
                assertEquals(validator.documentedStatuses(op.getKey()).contains(auth), op.getValue().contains(auth),
                        op.getKey() + " answered " + auth + " exactly when the document says it can");
            }
            // Bad requests too, wherever the document says a request can be wrong (401/403 belong to the tokens).
            boolean canFail = validator.documentedStatuses(op.getKey()).stream()
                    .anyMatch(s -> s.startsWith("4") && !s.equals("401") && !s.equals("403"));
            assertEquals(canFail, op.getValue().stream().anyMatch(s -> s.startsWith("4")), op.getKey() + " answered a 4xx");
        }
    }

    @Test
    void validatorRejectsWhatTheDocumentDoesNotDescribe() throws Exception {
        OpenApiValidator doc = new OpenApiValidator(given().queryParam("format", "json").get("/q/openapi").asString());
        assertEquals(List.of(), doc.check("GET", "/api/v1/runs", 200, "application/json", "{\"runs\": []}"));
        assertEquals(1, doc.check("GET", "/api/v1/runs", 200, "application/json", "{\"runs\": 5}").size());
        assertEquals(1, doc.check("GET", "/api/v1/runs", 200, "application/json",
                "{\"runs\": [{\"run_id\": \"r\", \"status\": \"lost\", \"epochs_recorded\": 0}]}").size());
        assertEquals(1, doc.check("GET", "/api/v1/runs", 200, "application/json",
                "{\"runs\": [{\"run_id\": \"r\", \"status\": \"running\", \"epochs_recorded\": 0, \"undocumented\": 1}]}")
                .size(), "a field the document does not declare");
        assertEquals(1, doc.check("GET", "/api/v1/runs", 418, "application/problem+json", "{}").size());
        assertEquals(1, doc.check("GET", "/api/v1/runs", 200, "text/html", "<p>").size());
        assertEquals(1, doc.check("DELETE", "/api/v1/nothing", 204, null, null).size());
        assertEquals(1, doc.check("POST", "/api/v1/runs/r/metrics", 200, "application/json", "{}").size(),
                "ingest answers 202, not 200");
    }

    @Test
    void documentDeclaresTheContract() throws Exception {
        OpenApiValidator doc = new OpenApiValidator(given().queryParam("format", "json").get("/q/openapi").asString());
        JsonNode root = doc.document();
        assertEquals("3.1.0", root.path("openapi").asText());
        assertEquals("bearer", root.at("/components/securitySchemes/bearer/scheme").asText());
        assertEquals("http", root.at("/components/securitySchemes/bearer/type").asText());
        // The event bodies are the contracts' own schemas, not copies: same required fields, same property names.
        JsonNode contract = JSON.readTree(getClass().getClassLoader().getResourceAsStream("schemas/epoch.completed.schema.json"));
        JsonNode component = root.at("/components/schemas/EpochCompleted");
        assertEquals(contract.get("required"), component.get("required"));
        assertEquals(fieldNames(contract.get("properties")), fieldNames(component.get("properties")));
        // Ingest answers 202, not 200.
        JsonNode ingest = root.at("/paths/~1api~1v1~1runs~1{id}~1metrics/post/responses");
        assertTrue(ingest.has("202") && !ingest.has("200"), "ingest answers 202: " + ingest.fieldNames().next());
        // Every operation: an id, a summary, a description naming its scope, a bearer security; the SSE routes take
        // ?access_token=; 401 carries the bearer challenge, 503 when to retry.
        for (OpenApiValidator.Operation op : doc.operations()) {
            String name = op.method() + " " + op.template();
            assertNotNull(op.id(), name + ": operationId");
            assertTrue(op.node().path("summary").asText("").length() > 3, name + ": summary");
            assertTrue(op.node().path("description").asText("").contains("Needs "), name + ": the scope in its description");
            assertTrue(op.node().path("security").size() > 0 && op.node().path("security").get(0).has("bearer"),
                    name + ": bearer security");
            boolean queryToken = false;
            for (JsonNode p : op.node().path("parameters")) {
                queryToken |= p.path("name").asText().equals("access_token") && p.path("in").asText().equals("query");
            }
            assertEquals(op.template().endsWith("/events"), queryToken, name + ": access_token parameter");
        }
        assertTrue(root.at("/components/responses/Unauthorized/headers/WWW-Authenticate/required").asBoolean());
        assertTrue(root.at("/components/responses/Unavailable/headers/Retry-After/required").asBoolean());
    }

    /**
     * Every operation of the document without a token (401, with its challenge) and, where the document lists a 403,
     * with a token holding none of the scopes its security accepts: the document's scopes are the ones enforced.
     */
    private void refusals(String runId) {
        String tag = Long.toString(System.nanoTime());
        Map<List<String>, String> tokensByScopes = new java.util.HashMap<>();
        for (OpenApiValidator.Operation op : validator.operations()) {
            String path = op.template().replace("{id}", runId).replace("{token}", "no-such-token")
                    .replace("{ce_type}", "io.trainwatch.epoch.completed");
            callAs(401, null, op.method(), path);
            if (!op.node().path("responses").has("403")) {
                continue;
            }
            List<String> accepted = new ArrayList<>();
            op.node().path("security").forEach(alternative -> alternative.path("bearer").forEach(s -> accepted.add(s.asText())));
            List<String> others = new ArrayList<>(List.of("read", "ingest", "control"));
            others.removeAll(accepted);
            String secret = tokensByScopes.computeIfAbsent(others, scopes -> 
                    TestTokens.create("oas-" + String.join("-", scopes) + "-" + tag, scopes, List.of()));
            callAs(403, TestTokens.bearer(secret), op.method(), path);
        }
    }

    /** One exchange with another Authorization than the admin token's (null: none). */
    private Response callAs(int expected, String authorization, String method, String path) {
        RestAssured.requestSpecification = null;
        try {
            return call(expected, authorization == null ? given() : given().header("Authorization", authorization),
                    method, path);
        } finally {
            TestAuth.signIn();
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static RequestSpecification json() {
        return given().contentType("application/json");
    }

    /** One exchange: asserts the expected status, then checks it against the document. */
    private Response call(int expected, RequestSpecification request, String method, String path) {
        Response response = request.request(method, path);
        String body = response.asString();
        assertEquals(expected, response.statusCode(), method + " " + path + " answered " + body);
        violations.addAll(validator.check(method, path, response.statusCode(), response.contentType().isEmpty()
                ? null : response.contentType(), body, response::header));
        return response;
    }

    /** Opens a stream, checks its answer and validates its first events (the first of type {@code firstType}, when
     *  given) as LiveEvents. */
    private void sse(String pathAndQuery, String firstType, String authorization) throws Exception {
        try (SseClient client = SseClient.to(base.resolve(pathAndQuery)).authorization(authorization).open()) {
            String path = pathAndQuery.split("\\?")[0];
            violations.addAll(validator.check("GET", path, client.status(), client.contentType(), null));
            assertEquals(200, client.status(), pathAndQuery);
            SseClient.Event event = client.next(Duration.ofSeconds(30));
            assertNotNull(event, pathAndQuery + ": no event");
            if (firstType != null) {
                assertEquals(firstType, event.type(), pathAndQuery);
            }
            List<SseClient.Event> events = new ArrayList<>(List.of(event));
            events.addAll(client.drain());
            validateFrames(path, events);
        }
    }

    /** Each SSE frame must be a LiveEvent. */
    private void validateFrames(String path, List<SseClient.Event> events) throws Exception {
        for (SseClient.Event e : events) {
            ObjectNode frame = JSON.createObjectNode().put("id", e.id()).put("event", e.type());
            frame.set("data", JSON.readTree(e.data()));
            violations.addAll(validator.validate(e.type() + " event of " + path, JSON.createObjectNode()
                    .put("$ref", "#/components/schemas/LiveEvent"), frame.toString()));
        }
    }
}
