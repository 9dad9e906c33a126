package io.trainwatch.analysis;

/** An alert that opened ({@code opened = true}) or resolved ({@code opened = false}) with this epoch. */
public record AlertChange(Alert alert, boolean opened) {
}
