package io.trainwatch.metrics.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import io.trainwatch.contracts.EventType;
import io.trainwatch.contracts.Limits;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.rest.JsonBodies;
import io.trainwatch.metrics.security.RouteRules;
import io.trainwatch.metrics.security.Scope;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Completes the OpenAPI document at build time (the stored document and {@code /q/openapi} are the same):
 * <ul>
 * <li>the contracts' JSON Schemas become {@code components.schemas} — one component per event, named after its
 * record ({@code EpochCompleted}), their shared {@code $defs} as {@code Contract*} components — so request bodies and
 * event payloads have exactly one definition, the contracts' own;</li>
 * <li>views derived from them by relaxing {@code required} only ({@code HistoryEpoch}: an epoch in a history has no
 * {@code run_id}; {@code *Body}: under {@code /runs/{id}/…} the body's {@code run_id} may be left out);</li>
 * <li>request examples from the contracts' golden examples;</li>
 * <li>the problem responses, the bearer security scheme with each operation's scopes ({@link OperationSecurity}),
 * servers and tag descriptions (the info block is
 * configured: quarkus.smallrye-openapi.info-*).</li>
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ContractOpenApiFilter implements OASFilter {

    static final String SCHEMAS = "#/components/schemas/";
    /** Prefix of the contracts' shared {@code $defs} ({@code run_id} → {@code ContractRunId}). */
    static final String DEFS_PREFIX = SCHEMAS + "Contract";
    static final String PROBLEM_JSON = "application/problem+json";
    static final String BEARER = "bearer";

    /**
     * Derived schemas: name, source event, the properties that stay required, and whether it is an HTTP ingest body
     * (which may carry the producer's {@code event_id}, an HTTP-only field).
     */
    private record Derived(String name, EventType source, List<String> required, boolean ingest, String description) {
    }

    private static final String FROM_PATH = "; run_id may be left out (it comes from the path) and must equal it when given.";

    private static final List<Derived> DERIVED = List.of(
            new Derived("HistoryEpoch", EventType.EPOCH_COMPLETED, List.of("epoch"), false,
                    "An epoch as the history serves it: epoch.completed's fields without run_id; absent = not measured."),
            new Derived("HistoryStep", EventType.STEP_SAMPLED, List.of("global_step"), false,
                    "A sampled step as the history serves it: step.sampled's fields without run_id."),
            new Derived("RunStartedDetails", EventType.RUN_STARTED, List.of(), false,
                    "The run.started fields a run view repeats."),
            new Derived("RunStartedBody", EventType.RUN_STARTED, List.of("run_id"), true, "A run.started."),
            new Derived("EpochCompletedBody", EventType.EPOCH_COMPLETED, List.of("epoch"), true,
                    "An epoch.completed" + FROM_PATH),
            new Derived("StepSampledBody", EventType.STEP_SAMPLED, List.of("global_step"), true,
                    "A step.sampled" + FROM_PATH),
            new Derived("RunFinishedBody", EventType.RUN_FINISHED, List.of("status"), true, "A run.finished" + FROM_PATH),
            new Derived("RunHeartbeatBody", EventType.RUN_HEARTBEAT, List.of(), true, "A run.heartbeat" + FROM_PATH),
            new Derived("RunCancelRequestedBody", EventType.RUN_CANCEL_REQUESTED, List.of("reason"), false,
                    "A run.cancel-requested" + FROM_PATH));

    /** Reusable problem answers: name, status, description, an example detail. */
    private record ProblemAnswer(String name, int status, String kind, String title, String description, String detail,
                                 String field) {
    }

    private static final List<ProblemAnswer> PROBLEMS = List.of(
            new ProblemAnswer("BadRequest", 400, "invalid-query-parameter", "Invalid query parameter",
                    "A query parameter or the body is malformed; errors names it.",
                    "limit: must be >= 1 and <= 500, was 0", "limit"),
            new ProblemAnswer("Unauthorized", 401, "unauthorized", "Unauthorized",
                    "No valid bearer token: none, malformed, unknown, revoked or expired.",
                    "the bearer token is unknown, revoked or expired", null),
            new ProblemAnswer("Forbidden", 403, "forbidden", "Forbidden",
                    "The token lacks the scope this operation needs, or may not reach the run's project.",
                    "token \"agent\" lacks the scope control this request needs (it has read)", null),
            new ProblemAnswer("RunNotFound", 404, "run-not-found", "Run not found",
                    "No run with this id (or one of a project the token may not see).",
                    "no run with id \"r-404\"", null),
            new ProblemAnswer("SchemaNotFound", 404, "schema-not-found", "Schema not found",
                    "No event type with this ce_type.", "ce_type: must be one of [io.trainwatch.run.started, …] (or the "
                    + "same without io.trainwatch.), was \"x\"", null),
            new ProblemAnswer("TokenNotFound", 404, "token-not-found", "Token not found",
                    "No live token with this id or name.", "no live token with id or name \"ci\"", null),
            new ProblemAnswer("TokenExists", 409, "token-exists", "Token exists", "A live token already has this name.",
                    "name: already used by a live token", "name"),
            new ProblemAnswer("RunFinished", 409, "run-finished", "Run already finished",
                    "The run already finished: there is nothing to cancel.",
                    "run \"r-42\" already finished with status completed; there is nothing to cancel", null),
            new ProblemAnswer("RequestTooLarge", 413, "request-too-large", "Request too large",
                    "The body breaks a per-request limit (bytes, events per request).",
                    "$: a request may hold at most 1000 events, was 1001", "$"),
            new ProblemAnswer("UnsupportedMediaType", 415, "unsupported-media-type", "Unsupported media type",
                    "The body is not sent as JSON.", "Content-Type: must be application/json, was text/plain",
                    "Content-Type"),
            new ProblemAnswer("InvalidFields", 422, "invalid-fields", "Invalid fields",
                    "The body breaks the event contract; errors names every field at fault.", "[1].epoch: is required",
                    "[1].epoch"),
            new ProblemAnswer("Unavailable", 503, "unavailable", "Service unavailable",
                    "Kafka did not take the event in time; retry later.",
                    "the event could not be handed to Kafka in time; retry later", null));

    private static final Map<String, String> TAGS = Map.of(
            "runs", "Runs: list, detail, compare, and the HTTP ingest of run.started and run.finished",
            "metrics", "A run's history (epochs, sampled steps) and the HTTP ingest of epochs",
            "analysis", "The verdict computed on write, and the run's alerts",
            "live", "Server-Sent Events: live changes of one run or of every run, resumable",
            "schemas", "The JSON Schemas of the Kafka events",
            "security", "Tokens (create, list, revoke, who am I) and the audit log");

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        Components components = openAPI.getComponents();
        addContractSchemas(components);
        addProblemResponses(components);
        components.addSchema("RunStatus", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                .description("A run's status.").enumeration(List.copyOf(RunRow.STATUSES)));
        components.addSchema("JsonSchemaDocument", OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("A JSON Schema (draft 2020-12) document; its $id is the events' ce_dataschema.")
                .addProperty("$schema", OASFactory.createSchema().addType(Schema.SchemaType.STRING).format("uri"))
                .addProperty("$id", OASFactory.createSchema().addType(Schema.SchemaType.STRING).format("uri"))
                .required(List.of("$schema", "$id")).additionalPropertiesBoolean(true));
        components.addSchema("Scope", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                .description("What a token may do; admin implies every other scope.")
                .enumeration(Arrays.stream(Scope.values()).map(Scope::wire).map(w -> (Object) w).toList()));
        components.addSecurityScheme(BEARER, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP)
                .scheme("bearer").description("A Trainwatch API token: Authorization: Bearer <token>. Each operation's "
                        + "security names the scopes it accepts (read, ingest, control, admin); admin implies every "
                        + "scope. A token limited to projects sees only their runs (another project's run answers "
                        + "404)."));
        openAPI.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme(BEARER)));
        // Relative: the document is served by the API it describes (/q/openapi), wherever that is deployed.
        openAPI.setServers(List.of(OASFactory.createServer().url("/")
                .description("The server that serves this document")));
        List<org.eclipse.microprofile.openapi.models.tags.Tag> tags = new java.util.ArrayList<>();
        TAGS.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(t ->
                tags.add(OASFactory.createTag().name(t.getKey()).description(t.getValue())));
        if (openAPI.getTags() != null) {
            openAPI.getTags().stream().filter(t -> !TAGS.containsKey(t.getName())).forEach(tags::add);
        }
        openAPI.setTags(tags);
        if (openAPI.getPaths() != null) {
            openAPI.getPaths().getPathItems().values().forEach(this::addRequestExamples);
            openAPI.getPaths().getPathItems().forEach(ContractOpenApiFilter::addUniversalResponses);
        }
    }

    private void addContractSchemas(Components components) {
        JsonNode defs = null;
        for (EventType type : EventType.values()) {
            ObjectNode schema = (ObjectNode) read(type.schemaResource());
            defs = schema.get("$defs");
            components.addSchema(componentName(type), JsonSchemaModels.toSchema(schema, ContractOpenApiFilter::ref));
        }
        // Every contract carries the same $defs (the contracts module's test keeps them identical).
        for (Iterator<Map.Entry<String, JsonNode>> it = defs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> def = it.next();
            components.addSchema("Contract" + pascal(def.getKey()),
                    JsonSchemaModels.toSchema(def.getValue(), ContractOpenApiFilter::ref));
        }
        for (Derived d : DERIVED) {
            ObjectNode schema = (ObjectNode) read(d.source().schemaResource());
            ArrayNode required = schema.putArray("required");
            d.required().forEach(required::add);
            if (d.required().isEmpty()) {
                schema.remove("required");
            }
            schema.put("title", d.name());
            schema.put("description", d.description());
            if (d.ingest()) {
                ((ObjectNode) schema.get("properties")).putObject(JsonBodies.EVENT_ID)
                        .put("description", "The producer's id of this event, for idempotent retries: a repeated "
                                + "event_id is stored once. Absent: the API draws a fresh ce_id.")
                        .put("type", "string").put("minLength", 1).put("maxLength", Limits.MAX_EVENT_ID_LENGTH)
                        .put("pattern", "^" + Limits.EVENT_ID_PATTERN.pattern() + "$");
            }
            components.addSchema(d.name(), JsonSchemaModels.toSchema(schema, ContractOpenApiFilter::ref));
        }
    }

    private void addProblemResponses(Components components) {
        for (ProblemAnswer p : PROBLEMS) {
            ObjectNode example = mapper.createObjectNode()
                    .put("type", "urn:trainwatch:problem:" + p.kind()).put("title", p.title()).put("status", p.status())
                    .put("detail", p.detail());
            ArrayNode errors = example.putArray("errors");
            if (p.field() != null) {
                errors.addObject().put("field", p.field()).put("message", p.detail().substring(p.field().length() + 2));
            }
            MediaType media = OASFactory.createMediaType().schema(OASFactory.createSchema().ref(SCHEMAS + "Problem"))
                    .addExample(p.kind(), OASFactory.createExample().value(JsonSchemaModels.plain(example)));
            org.eclipse.microprofile.openapi.models.responses.APIResponse response = OASFactory.createAPIResponse()
                    .description(p.description()).content(OASFactory.createContent().addMediaType(PROBLEM_JSON, media));
            if (p.status() == 503) {
                response.addHeader("Retry-After", OASFactory.createHeader().description("Seconds to wait before retrying")
                        .required(true).schema(OASFactory.createSchema().addType(Schema.SchemaType.INTEGER)));
            }
            if (p.status() == 401) {
                response.addHeader("WWW-Authenticate", OASFactory.createHeader().required(true)
                        .description("The bearer challenge (RFC 6750), e.g. Bearer realm=\"trainwatch\", "
                                + "error=\"invalid_token\"")
                        .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
            }
            components.addResponse(p.name(), response);
        }
    }

    /**
     * What any operation may answer, whatever it does: 400 (RequestGuard refuses path and query parameters that
     * cannot be stored, e.g. a NUL), 401 (AuthFilter: no valid token) and 403 (the token lacks the operation's scope,
     * so not where any token will do), 413 and 415 where there is a body (BodyLimitFilter, RequestGuard), and 503
     * (Kafka or the database away, with Retry-After). The security itself comes from {@link OperationSecurity}.
     */
    private static void addUniversalResponses(String path, PathItem item) {
        item.getOperations().forEach((method, op) -> {
            RouteRules.Rule rule = OperationSecurity.document(method.name(), path, op);
            addIfAbsent(op, "400", "BadRequest");
            if (!rule.open()) {
                addIfAbsent(op, "401", "Unauthorized");
                if (!rule.anyOf().isEmpty()) {
                    addIfAbsent(op, "403", "Forbidden");
                }
            }
            if (op.getRequestBody() != null) {
                addIfAbsent(op, "413", "RequestTooLarge");
                addIfAbsent(op, "415", "UnsupportedMediaType");
            }
            addIfAbsent(op, "503", "Unavailable");
        });
    }

    private static void addIfAbsent(Operation op, String status, String response) {
        if (op.getResponses().getAPIResponse(status) == null) {
            op.getResponses().addAPIResponse(status, OASFactory.createAPIResponse().ref(response));
        }
    }

    /** Request bodies that are contract events get the contract's golden example. */
    private void addRequestExamples(PathItem item) {
        for (Operation op : item.getOperations().values()) {
            if (op.getRequestBody() == null || op.getRequestBody().getContent() == null) {
                continue;
            }
            Content content = op.getRequestBody().getContent();
            MediaType json = content.getMediaType(jakarta.ws.rs.core.MediaType.APPLICATION_JSON);
            if (json == null || json.getSchema() == null || json.getExamples() != null) {
                continue;
            }
            eventOf(json.getSchema()).ifPresent(type -> json.addExample(type.ceType(),
                    OASFactory.createExample().summary("the contract's golden example of " + type.ceType())
                            .value(JsonSchemaModels.plain(read(type.exampleResource("full"))))));
        }
    }

    private static Optional<EventType> eventOf(Schema schema) {
        Schema s = schema.getOneOf() != null && !schema.getOneOf().isEmpty() ? schema.getOneOf().get(0) : schema;
        if (s.getRef() == null) {
            return Optional.empty();
        }
        String name = s.getRef().substring(s.getRef().lastIndexOf('/') + 1).replaceFirst("Body$", "");
        for (EventType type : EventType.values()) {
            if (componentName(type).equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    static String componentName(EventType type) {
        return type.dataClass().getSimpleName();
    }

    private static String ref(String ref) {
        if (ref.startsWith("#/$defs/")) {
            return DEFS_PREFIX + pascal(ref.substring("#/$defs/".length()));
        }
        throw new IllegalArgumentException("contract schema $ref outside its $defs: " + ref);
    }

    private static String pascal(String snake) {
        StringBuilder out = new StringBuilder();
        for (String part : snake.split("_")) {
            out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return out.toString();
    }

    private JsonNode read(String resource) {
        try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the contracts jar lacks " + resource);
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
