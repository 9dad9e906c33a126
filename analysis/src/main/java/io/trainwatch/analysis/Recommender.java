package io.trainwatch.analysis;

import java.util.Comparator;

/**
 * Combines the rules' advice into the one recommendation of the verdict through an explicit priority table: the
 * advice of the highest row wins, whatever the order the rules ran in; the evidence of every rule is kept, in the
 * order of the rules' ranks. docs/analysis.md shows the same table.
 *
 * <pre>
 *  #  advice (rule)                                         action        confidence
 *  1  loss NaN or infinite (divergence)                     stop          0.95
 *  2  divergence not recovered within patience (divergence) stop          0.85
 *  3  sustained rise of the loss (divergence)               reduce_lr     0.80
 *  4  exploding gradients (gradients)                       reduce_lr     0.75
 *  5  a spike, watching it (divergence)                     continue      0.50
 *  6  vanishing gradients or dead layers (gradients)        investigate   0.60
 *  7  validation set looks broken (validation)              investigate   0.80
 *  8  negative loss falling without bound (unbounded loss)  investigate   0.70
 *  9  overfitting, confident enough (overfitting)           stop          its confidence
 * 10  plateau: constant LR → reduce_lr; nothing left → stop (plateau) 0.60 / 0.65-0.75
 * 11  patience ran out, no long-term improvement (patience) stop          0.60
 *  -  otherwise: continue, with the trend (trend)           continue      0.80 improving, else 0.55
 * </pre>
 */
final class Recommender {

    static final int NON_FINITE = 1;
    static final int DIVERGED = 2;
    static final int SUSTAINED_RISE = 3;
    static final int EXPLODING = 4;
    static final int SPIKE = 5;
    static final int VANISHING = 6;
    static final int VALIDATION = 7;
    static final int UNBOUNDED = 8;
    static final int OVERFITTING = 9;
    static final int PLATEAU = 10;
    static final int PATIENCE = 11;

    /** Ranks of the rules: the order their evidence and alert conditions are listed in. */
    static final int RANK_DIVERGENCE = 1;
    static final int RANK_GRADIENTS = 2;
    static final int RANK_VALIDATION = 3;
    static final int RANK_UNBOUNDED = 4;
    static final int RANK_OVERFITTING = 5;
    static final int RANK_PLATEAU = 6;
    static final int RANK_PATIENCE = 7;
    static final int RANK_STABILITY = 8;

    private Recommender() {
    }

    /** The winning advice with every rule's evidence; {@code otherwise} when no rule advised anything. */
    static Verdict.Recommendation recommend(Findings findings, Advice otherwise) {
        Advice best = findings.advice().stream().min(Comparator.comparingInt(Advice::priority)).orElse(otherwise);
        return new Verdict.Recommendation(best.action(), Fmt.round(best.confidence()), best.reason().get(),
                findings.evidence());
    }
}
