package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.contracts.EventType;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Schemas of the Kafka events, straight from the contracts jar, so a downstream consumer can validate
 * without the repository. Each event's {@code ce_dataschema} header is its schema's {@code $id}. A schema is found by
 * its {@code ce_type} ({@code io.trainwatch.epoch.completed}) and, for consumers of records from earlier producers, by
 * the bare name they sent ({@code epoch.completed}).
 */
@Path("/api/v1/schemas")
@Tag(name = "schemas")
@Produces(MediaType.APPLICATION_JSON)
public class SchemasResource {

    @Inject
    ObjectMapper mapper;

    private volatile Map<EventType, JsonNode> schemas;

    @GET
    @Operation(operationId = "listEventSchemas", summary = "List the Kafka events' JSON Schemas",
            description = "Every event type: ce_type, topic, dataschema ($id) and where its JSON Schema is served.")
    @APIResponse(responseCode = "200", description = "The event types", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "SchemaList")))
    public ObjectNode list() {
        ObjectNode body = mapper.createObjectNode();
        ArrayNode events = body.putArray("schemas");
        for (EventType type : EventType.values()) {
            events.addObject()
                    .put("ce_type", type.ceType())
                    .put("legacy_ce_type", type.baseName())
                    .put("topic", type.topic())
                    .put("dataschema", type.schemaId())
                    .put("href", "/api/v1/schemas/" + type.ceType());
        }
        return body;
    }

    @GET
    @Path("{ce_type}")
    @Produces({"application/schema+json", MediaType.APPLICATION_JSON})
    @Operation(operationId = "getEventSchema", summary = "Get one event's JSON Schema",
            description = "The JSON Schema (draft 2020-12) of one event's data; its $id is the events' ce_dataschema.")
    @APIResponse(responseCode = "200", description = "The schema", content = {
            @Content(mediaType = "application/schema+json", schema = @Schema(ref = "JsonSchemaDocument")),
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "JsonSchemaDocument"))})
    @APIResponse(responseCode = "404", ref = "SchemaNotFound")
    public Response schema(@Parameter(description = "The event's ce_type, e.g. io.trainwatch.epoch.completed; the bare "
                                   + "epoch.completed that earlier producers sent is an alias")
                           @PathParam("ce_type") String ceType) {
        EventType type = EventType.fromCeType(ceType).orElseThrow(() -> new ProblemException(404, "schema-not-found",
                "Schema not found", "ce_type: must be one of " + Arrays.stream(EventType.values()).map(EventType::ceType).toList()
                + " (or the same without " + EventType.TYPE_PREFIX + "), was \"" + ceType + "\"", List.of(new ProblemException.FieldError("ce_type", "unknown event type"))));
        return Response.ok(schemas().get(type)).build();
    }

    private Map<EventType, JsonNode> schemas() {
        Map<EventType, JsonNode> loaded = schemas;
        if (loaded == null) {
            loaded = new EnumMap<>(EventType.class);
            for (EventType type : EventType.values()) {
                try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(type.schemaResource())) {
                    if (in == null) {
                        throw new IllegalStateException("the contracts jar lacks " + type.schemaResource());
                    }
                    loaded.put(type, mapper.readTree(in));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            schemas = loaded;
        }
        return loaded;
    }
}
