package io.trainwatch.trainer.spec;

/** One problem in a submitted spec: the JSON path of the field and the rule it broke. */
public record FieldError(String field, String message) {

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
