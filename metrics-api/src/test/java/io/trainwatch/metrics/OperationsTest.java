package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** Health with Kafka and database readiness, OpenAPI, Swagger UI and Prometheus metrics. */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class OperationsTest {

    @Test
    void readinessChecksKafkaTheDatabaseAndThePartitionAssignment() {
        // Ready only once the ingest consumer has its partitions: a second or two after start.
        await().atMost(IngestTest.WAIT).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem(containsString("Kafka")))
                .body("checks.name", hasItem(containsString("Reactive PostgreSQL")))
                .body("checks.name", hasItem("Kafka ingest partitions assigned")));
    }

    @Test
    void openApiSwaggerAndPrometheusAreServed() {
        given().get("/q/openapi").then().statusCode(200).body(containsString("/api/v1/runs/{id}/metrics"));
        given().get("/q/swagger-ui/").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("trainwatch_ingest_events_total"))
                .body(containsString("trainwatch_sse_clients"));
    }
}
