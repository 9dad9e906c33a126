package io.trainwatch.analysis;

import java.util.function.Supplier;

/**
 * An alert-worthy condition that holds at this epoch: its severity and its message. The message is built only when
 * the alert opens, so a condition that merely persists costs no string formatting.
 */
record Condition(String severity, Supplier<String> message) {
}
