package io.trainwatch.analysis;

/**
 * What one rule advises at this epoch; the {@link Recommender} keeps the advice of highest priority (lowest number,
 * the rows of its table). The reason is written only for the advice that wins, and only when a verdict is asked for
 * ({@link RunAnalyzer#observe} asks for none): sentences were most of the engine's time per epoch.
 */
record Advice(int priority, String action, double confidence, java.util.function.Supplier<String> reason) {

    Advice {
        if (confidence < 0 || confidence > 1) {
            throw new IllegalArgumentException("confidence: must be in [0, 1], was " + confidence);
        }
    }
}
