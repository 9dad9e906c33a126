package io.trainwatch.contracts;

/**
 * An event that breaks its contract. The message names the field and the rule,
 * e.g. {@code epoch: must be >= 0, was -3}, so producers can fix what they send.
 */
public class EventValidationException extends IllegalArgumentException {

    private final String field;

    public EventValidationException(String field, String rule) {
        super(field + ": " + rule);
        this.field = field;
    }

    public EventValidationException(String field, String rule, Throwable cause) {
        super(field + ": " + rule, cause);
        this.field = field;
    }

    /** The snake_case name of the offending field ({@code $} for the whole document). */
    public String field() {
        return field;
    }
}
