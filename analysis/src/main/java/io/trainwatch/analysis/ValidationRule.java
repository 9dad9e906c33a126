package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.capitalise;
import static io.trainwatch.analysis.Fmt.params;

/**
 * Validation soundness: a validation accuracy exactly 0, or exactly constant while training learns, or a validation
 * loss that is not recomputed. A broken validation set cannot guide stopping, so the other rules are told.
 * Returns the issue in words, or null.
 */
final class ValidationRule implements Rule<String> {

    /** Thresholds of the rule, validated. */
    record Settings(int constantEpochs, double minImprovement) {

        Settings {
            if (constantEpochs < 2) {
                throw new IllegalArgumentException("validation.constant_epochs: must be >= 2, was " + constantEpochs);
            }
        }

        static Settings from(AnalysisSettings s) {
            return new Settings(Math.max(2, (int) Math.round(s.threshold("validation.constant_epochs"))),
                    s.threshold("plateau.min_relative_improvement"));
        }
    }

    private final Settings settings;
    private double prevValAcc = Double.NaN;
    private int valAccConstant;
    private int valAccZero;
    private double prevValLoss = Double.NaN;
    private int valLossConstant;

    ValidationRule(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String observe(EpochPoint p, RunState state, Findings f) {
        Double acc = p.valAccuracy();
        if (acc != null && Double.isFinite(acc)) {
            valAccZero = acc == 0.0 ? valAccZero + 1 : 0;
            valAccConstant = acc.doubleValue() == prevValAcc ? valAccConstant + 1 : 0;
            prevValAcc = acc;
        }
        Double vl = p.valLoss();
        if (vl != null && Double.isFinite(vl)) {
            valLossConstant = vl.doubleValue() == prevValLoss ? valLossConstant + 1 : 0;
            prevValLoss = vl;
        }
        String issue = issue(state);
        if (issue != null) {
            int rank = Recommender.RANK_VALIDATION;
            f.condition(rank, "validation.suspect", new Condition(Alert.WARNING, () -> capitalise(issue) + "."));
            f.evidence(rank, () -> new Verdict.Evidence("validation.suspect",
                    params("constant_epochs", settings.constantEpochs()),
                    params("val_accuracy_zero_epochs", valAccZero, "val_accuracy_constant_epochs", valAccConstant + 1,
                            "val_loss_constant_epochs", valLossConstant + 1)));
            f.advise(new Advice(Recommender.VALIDATION, Verdict.INVESTIGATE, 0.8, () ->
                    "Investigate the validation set: " + issue + "; its loss cannot guide stopping."));
        }
        return issue;
    }

    private String issue(RunState state) {
        int n = settings.constantEpochs();
        if (valAccZero >= n && state.train.size() >= n) {
            return "validation accuracy is exactly 0 for " + valAccZero
                    + " epochs: the validation set or its labels look broken";
        }
        // A small validation set can give the same accuracy a few epochs running; twice the window is not chance.
        if (valAccConstant + 1 >= 2 * n && state.train.size() >= n
                && state.trainImprovedOver(n, settings.minImprovement())) {
            return "validation accuracy is exactly constant for " + (valAccConstant + 1)
                    + " epochs while training loss falls: the validation set looks frozen or mismatched";
        }
        if (valLossConstant + 1 >= n + 1 && state.trainImprovedOver(n, settings.minImprovement())) {
            return "validation loss is exactly constant for " + (valLossConstant + 1)
                    + " epochs while training loss falls: validation is not being recomputed";
        }
        return null;
    }
}
