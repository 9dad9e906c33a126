package io.trainwatch.metrics.rest;

import java.util.List;

/** A failure that already knows its HTTP answer: status, title, detail and the fields at fault. */
public class ProblemException extends RuntimeException {

    /** One field at fault and the rule it broke. */
    public record FieldError(String field, String message) {
    }

    private final int status;
    private final String type;
    private final String title;
    private final List<FieldError> errors;

    public ProblemException(int status, String type, String title, String detail, List<FieldError> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.errors = errors == null ? List.of() : List.copyOf(errors);
    }

    public static ProblemException runNotFound(String runId) {
        return new ProblemException(404, "run-not-found", "Run not found", "no run with id \"" + runId + "\"", List.of());
    }

    public static ProblemException invalid(List<FieldError> errors) {
        String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                : errors.size() + " fields are invalid; see errors";
        return new ProblemException(422, "invalid-fields", "Invalid fields", detail, errors);
    }

    /** 413: the body breaks a per-request limit, which {@code rule} states with its value; the field is "$". */
    public static ProblemException tooLarge(String rule) {
        return new ProblemException(413, "request-too-large", "Request too large", "$: " + rule,
                List.of(new FieldError("$", rule)));
    }

    public static ProblemException malformed(String detail) {
        return new ProblemException(400, "malformed-json", "Malformed JSON", detail, List.of(new FieldError("$", detail)));
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }
}
