package io.trainwatch.metrics;

import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;

/**
 * The tests' admin token: preloaded by the %test profile ({@code trainwatch.auth.tokens}, its SHA-256), so the tests
 * run with authentication on, as production does.
 */
public final class TestAuth {

    public static final String SECRET = "tw_test-admin-secret-only-for-the-quarkus-tests-000";
    public static final String HEADER = "Bearer " + SECRET;

    private TestAuth() {
    }

    /** Every RestAssured request of the test sends the admin token (call from a @BeforeEach). */
    public static void signIn() {
        RestAssured.requestSpecification = new RequestSpecBuilder().addHeader("Authorization", HEADER).build();
    }
}
