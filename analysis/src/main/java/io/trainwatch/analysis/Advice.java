package io.trainwatch.analysis;

/**
 * What one rule advises at this epoch; the {@link Recommender} keeps the advice of highest priority (lowest number,
 * the rows of its table).
 */
record Advice(int priority, String action, double confidence, String reason) {

    Advice {
        if (confidence < 0 || confidence > 1) {
            throw new IllegalArgumentException("confidence: must be in [0, 1], was " + confidence);
        }
    }
}
