package io.trainwatch.trainer.spec;

import java.util.List;
import java.util.stream.Collectors;

/** A submitted spec broke one or more rules; each {@link FieldError} names the field. Maps to a 422 problem. */
public class InvalidSpecException extends RuntimeException {

    private final List<FieldError> errors;

    public InvalidSpecException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public InvalidSpecException(String field, String message) {
        this(List.of(new FieldError(field, message)));
    }

    public List<FieldError> errors() {
        return errors;
    }
}
