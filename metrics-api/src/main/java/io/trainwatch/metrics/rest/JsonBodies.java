package io.trainwatch.metrics.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.EventValidationException;
import io.trainwatch.contracts.Limits;
import io.trainwatch.contracts.TrainwatchEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Turns request bodies into validated events: 400 for malformed JSON, 422 naming every field at fault. */
@ApplicationScoped
public class JsonBodies {

    /** The optional per-event id of HTTP ingest, used as the event's ce_id (not part of the event's data). */
    public static final String EVENT_ID = "event_id";

    @Inject
    ObjectMapper mapper;

    public JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw ProblemException.malformed("body is empty; a JSON document is required");
        }
        if (body.length > Limits.MAX_REQUEST_BYTES) {
            throw ProblemException.tooLarge(
                    "a request body must be at most " + Limits.MAX_REQUEST_BYTES + " bytes, was " + body.length);
        }
        try {
            // Trailing content ({"epoch":1} garbage) is refused: the client meant something we would not store.
            JsonNode node = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ProblemException.malformed("body is empty; a JSON document is required");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ProblemException.malformed("body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ProblemException.malformed("body could not be read: " + e.getMessage());
        }
    }

    /**
     * Decodes the objects of a body (one object, or an array when {@code arrayAllowed}) as events of {@code type}.
     * {@code run_id} comes from the path when absent and must match it when present. All errors are reported at once,
     * prefixed with the element index for arrays ({@code [2].epoch}).
     */
    public <T extends TrainwatchEvent> List<T> events(JsonNode body, Class<T> type, String pathRunId, boolean arrayAllowed) {
        return posted(body, type, pathRunId, arrayAllowed).stream().map(PostedEvent::event).toList();
    }

    /**
     * As {@link #events}, each event with its optional {@code event_id} (validated: 1 to 128 of [A-Za-z0-9._:-]).
     * An array of more than {@link Limits#MAX_EVENTS_PER_REQUEST} events is refused (413) before anything is decoded.
     */
    public <T extends TrainwatchEvent> List<PostedEvent<T>> posted(JsonNode body, Class<T> type, String pathRunId,
                                                                    boolean arrayAllowed) {
        List<JsonNode> items = new ArrayList<>();
        boolean array = body.isArray();
        if (array && arrayAllowed) {
            if (body.size() > Limits.MAX_EVENTS_PER_REQUEST) {
                throw ProblemException.tooLarge("a request may hold at most "
                        + Limits.MAX_EVENTS_PER_REQUEST + " events (split the batch), had " + body.size());
            }
            body.forEach(items::add);
            if (items.isEmpty()) {
                throw ProblemException.invalid(List.of(new ProblemException.FieldError("$", "must not be an empty array")));
            }
        } else if (body.isObject()) {
            items.add(body);
        } else {
            throw ProblemException.invalid(List.of(new ProblemException.FieldError("$",
                    arrayAllowed ? "must be a JSON object or an array of objects" : "must be a JSON object")));
        }
        List<PostedEvent<T>> events = new ArrayList<>(items.size());
        List<ProblemException.FieldError> errors = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String prefix = array ? "[" + i + "]" : "";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                errors.add(new ProblemException.FieldError(array ? prefix : "$", "must be a JSON object"));
                continue;
            }
            ObjectNode obj = (ObjectNode) item;
            if (pathRunId != null) {
                JsonNode given = obj.get("run_id");
                if (given == null || given.isNull()) {
                    obj.put("run_id", pathRunId);
                } else if (!given.isTextual()) {
                    errors.add(new ProblemException.FieldError(field(prefix, "run_id"),
                            "must be a string, was " + given.getNodeType().name().toLowerCase() + " " + given));
                    continue;
                } else if (!given.asText().equals(pathRunId)) {
                    errors.add(new ProblemException.FieldError(field(prefix, "run_id"),
                            "must equal the run id in the path \"" + pathRunId + "\", was " + given));
                    continue;
                }
            }
            String eventId = null;
            try {
                JsonNode id = obj.remove(EVENT_ID);
                if (id != null && !id.isNull()) {
                    if (!id.isTextual()) {
                        throw new EventValidationException(EVENT_ID, "must be a string, was " + id);
                    }
                    eventId = Limits.eventId(EVENT_ID, id.asText());
                }
                events.add(new PostedEvent<>(EventCodec.instance().decode(obj, type), eventId));
            } catch (EventValidationException e) {
                String rule = e.getMessage().startsWith(e.field() + ": ")
                        ? e.getMessage().substring(e.field().length() + 2) : e.getMessage();
                errors.add(new ProblemException.FieldError(field(prefix, e.field()), rule));
            }
        }
        if (!errors.isEmpty()) {
            throw ProblemException.invalid(errors);
        }
        return events;
    }

    private static String field(String prefix, String field) {
        if (prefix.isEmpty()) {
            return field;
        }
        return "$".equals(field) ? prefix : prefix + "." + field;
    }
}
