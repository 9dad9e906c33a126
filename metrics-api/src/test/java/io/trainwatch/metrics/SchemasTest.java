package io.trainwatch.metrics;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.contracts.EventType;
import io.trainwatch.stack.LocalStackTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

/**
 * The events' JSON Schemas are served, each under the ce_type that names it (and the legacy bare name) and with the
 * $id that ce_dataschema carries.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class SchemasTest {

    @BeforeEach
    void signIn() {
        TestAuth.signIn();
    }

    @Test
    void everyEventTypeIsListedAndItsSchemaServed() {
        given().get("/api/v1/schemas").then().statusCode(200)
                .body("schemas", hasSize(EventType.values().length))
                .body("schemas.ce_type", hasItem("io.trainwatch.epoch.completed"))
                .body("schemas.find { it.ce_type == 'io.trainwatch.run.cancel-requested' }.topic", equalTo("trainwatch.run-control.v1"))
                .body("schemas.find { it.ce_type == 'io.trainwatch.epoch.completed' }.legacy_ce_type", equalTo("epoch.completed"))
                .body("schemas.find { it.ce_type == 'io.trainwatch.epoch.completed' }.href",
                        equalTo("/api/v1/schemas/io.trainwatch.epoch.completed"))
                .body("schemas.find { it.ce_type == 'io.trainwatch.epoch.completed' }.dataschema",
                        equalTo("https://trainwatch.io/schemas/v1/epoch.completed.schema.json"));
        for (EventType type : EventType.values()) {
            for (String name : List.of(type.ceType(), type.baseName())) { // the legacy bare name is an alias
                given().get("/api/v1/schemas/" + name).then().statusCode(200)
                        .contentType(startsWith("application/schema+json"))
                        .body("$id", equalTo(type.schemaId()))
                        .body("title", equalTo(type.ceType()));
            }
        }
    }

    @Test
    void anUnknownTypeIsA404NamingTheParameter() {
        given().get("/api/v1/schemas/io.trainwatch.epoch.nope").then().statusCode(404)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("ce_type"))
                .body("detail", startsWith("ce_type: must be one of"));
    }
}
