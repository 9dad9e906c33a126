package io.trainwatch.trainer.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trainwatch.trainer.spec.FieldError;
import jakarta.ws.rs.core.Response;

import java.util.List;

/**
 * An RFC 9457 problem document; {@code errors} names each bad field and the rule it broke.
 *
 * @param type {@code urn:trainwatch:problem:<kind>}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_PREFIX = "urn:trainwatch:problem:";

    public static Problem of(String kind, String title, int status, String detail, String instance, List<FieldError> errors) {
        return new Problem(TYPE_PREFIX + kind, title, status, detail, instance, errors == null || errors.isEmpty() ? null : errors);
    }

    public Response toResponse() {
        return Response.status(status).type(MEDIA_TYPE).entity(this).build();
    }
}
