package io.trainwatch.analysis;

/**
 * One rule of the engine: it observes each epoch (after {@link RunState} has taken it), keeps only its own bounded
 * state, and returns its section of the verdict; advice, evidence, alert conditions and not-assessed notes go into
 * the epoch's {@link Findings}. Rules run in the order of {@link RunAnalyzer}; a rule that builds on another's section
 * reads it from the findings.
 *
 * @param <S> the verdict section the rule produces
 */
interface Rule<S> {

    S observe(EpochPoint p, RunState state, Findings findings);
}
