package io.trainwatch.trainer.datasets;

/** A dataset could not be made or read; the message names the field and, for files, the line or byte offset. */
public class DatasetException extends RuntimeException {

    private final String field;

    public DatasetException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public DatasetException(String field, String message, Throwable cause) {
        super(field + ": " + message, cause);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** The rule alone, without the field. */
    public String rule() {
        return getMessage().substring(field.length() + 2);
    }
}
