package io.trainwatch.metrics.read;

/** A query parameter that breaks its rule; the message names the parameter and the rule. Answered with 400. */
public class QueryParameterException extends IllegalArgumentException {

    private final String parameter;

    public QueryParameterException(String parameter, String rule) {
        super(parameter + ": " + rule);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
