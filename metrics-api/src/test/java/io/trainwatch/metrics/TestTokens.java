package io.trainwatch.metrics;

import io.restassured.http.ContentType;

import java.util.List;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;

/** Tokens made through the API with the tests' admin token, for tests that need other scopes or projects. */
final class TestTokens {

    private TestTokens() {
    }

    /** A new token's secret; {@code projects} empty: every project. */
    static String create(String name, List<String> scopes, List<String> projects) {
        return create(name, scopes, projects, null);
    }

    static String create(String name, List<String> scopes, List<String> projects, String expiresAt) {
        String body = "{\"name\":\"" + name + "\",\"scopes\":" + json(scopes) + ",\"projects\":" + json(projects)
                + (expiresAt == null ? "" : ",\"expires_at\":\"" + expiresAt + "\"") + "}";
        return given().header("Authorization", TestAuth.HEADER).contentType(ContentType.JSON).body(body)
                .post("/api/v1/tokens").then().statusCode(201).extract().path("secret");
    }

    static void revoke(String name) {
        given().header("Authorization", TestAuth.HEADER).delete("/api/v1/tokens/{t}", name).then().statusCode(204);
    }

    static String bearer(String secret) {
        return "Bearer " + secret;
    }

    private static String json(List<String> values) {
        return values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(",", "[", "]"));
    }
}
