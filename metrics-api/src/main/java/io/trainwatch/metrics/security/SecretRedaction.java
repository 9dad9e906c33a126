package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Run details (hyperparameters, configuration) are stored and shown with the values of secret-looking keys replaced
 * by {@code "***"}: a training script that logs its whole config must not put an API key into every reader's hands.
 * Redacted before storing, so no later bug can reveal them.
 */
public final class SecretRedaction {

    public static final String MASK = "***";
    /** Keys containing key, token, secret or password, in any case (api_key, HF_TOKEN, dbPassword, ...). */
    static final Pattern SECRET_KEY = Pattern.compile(".*(key|token|secret|password).*");

    private SecretRedaction() {
    }

    public static boolean secretKey(String name) {
        return SECRET_KEY.matcher(name.toLowerCase(Locale.ROOT)).matches();
    }

    /** Masks, in place and at any depth, every value whose key looks like a secret; returns {@code node}. */
    public static JsonNode redact(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (String name : new ArrayList<>(iterable(o))) {
                if (secretKey(name)) {
                    o.put(name, MASK);
                } else {
                    redact(o.get(name));
                }
            }
        } else if (node instanceof ArrayNode a) {
            a.forEach(SecretRedaction::redact);
        }
        return node;
    }

    private static java.util.List<String> iterable(ObjectNode o) {
        java.util.List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
