package io.trainwatch.analysis;

import static io.trainwatch.analysis.Fmt.fmt;
import static io.trainwatch.analysis.Fmt.params;
import static io.trainwatch.analysis.Fmt.round;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Gradients, when the trainer measures them: exploding or vanishing global norm, layers with a zero gradient, the
 * ratio of the largest to the smallest layer norm, and how often gradients were clipped. Suggests a clip value from
 * the run's own median norm.
 */
final class GradientRule implements Rule<Verdict.Gradients> {

    /** Thresholds of the rule, validated. */
    record Settings(double exploding, double vanishing, double imbalance, double clipFrequency, int window,
            double lrFactor) {

        Settings {
            if (!(vanishing >= 0 && exploding > vanishing)) {
                throw new IllegalArgumentException("gradients.exploding: must be above gradients.vanishing ("
                        + vanishing + "), was " + exploding);
            }
            if (!(imbalance > 1)) {
                throw new IllegalArgumentException("gradients.imbalance: must be > 1, was " + imbalance);
            }
            if (!(clipFrequency >= 0 && clipFrequency <= 1)) {
                throw new IllegalArgumentException("gradients.clip_frequency: must be in [0, 1], was "
                        + clipFrequency);
            }
        }

        static Settings from(AnalysisSettings s, RunState.Settings common) {
            return new Settings(s.threshold("gradients.exploding"), s.threshold("gradients.vanishing"),
                    s.threshold("gradients.imbalance"), s.threshold("gradients.clip_frequency"), common.window(),
                    s.threshold("learning_rate.divergence_factor"));
        }
    }

    private final Settings settings;
    private final Ring norms;
    private Verdict.Gradients last;
    private long prevGlobalStep = -1;

    GradientRule(Settings settings) {
        this.settings = settings;
        norms = new Ring(settings.window());
    }

    /** The gradients of this epoch, or of the last epoch that measured them; null if none ever did. */
    @Override
    public Verdict.Gradients observe(EpochPoint p, RunState state, Findings f) {
        boolean measured = p.gradNorm() != null || p.gradNormMax() != null || p.layerGradNorms() != null
                || p.clippedSteps() != null;
        if (!measured) {
            if (last == null) {
                f.notAssessed("gradients: not measured");
            }
            if (p.globalStep() != null) {
                prevGlobalStep = p.globalStep();
            }
        } else {
            last = measure(p, f);
        }
        if (last != null) {
            advise(last, state.epoch, f);
        }
        return last;
    }

    private Verdict.Gradients measure(EpochPoint p, Findings f) {
        Double norm = p.gradNorm();
        double judged = norm != null ? norm : Double.NaN;
        double peak = p.gradNormMax() != null ? p.gradNormMax() : judged;
        if (norm != null && Double.isFinite(norm)) {
            norms.add(p.epoch(), norm);
        }
        boolean exploding = norm != null && (!Double.isFinite(norm) || norm > settings.exploding())
                || p.gradNormMax() != null && !Double.isNaN(peak)
                        && (Double.isInfinite(peak) || peak > settings.exploding());
        boolean vanishing = norm != null && Double.isFinite(norm) && norm < settings.vanishing() && norm >= 0;
        List<String> dead = new ArrayList<>();
        Double ratio = null;
        boolean imbalance = false;
        Map<String, Double> layers = p.layerGradNorms();
        if (layers != null && !layers.isEmpty()) {
            double max = 0;
            double min = Double.POSITIVE_INFINITY;
            for (Map.Entry<String, Double> l : layers.entrySet()) {
                Double v = l.getValue();
                if (v == null || !Double.isFinite(v)) {
                    continue;
                }
                if (v == 0) {
                    dead.add(l.getKey());
                } else {
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
            }
            dead.sort(Comparator.naturalOrder());
            if (max > 0 && min < Double.POSITIVE_INFINITY) {
                ratio = round(max / min);
                imbalance = max / min > settings.imbalance();
            }
        } else {
            f.notAssessed("gradients.dead_layers: no per-layer norms");
        }
        Double clipFrequency = null;
        if (p.clippedSteps() != null && p.globalStep() != null && prevGlobalStep >= 0
                && p.globalStep() > prevGlobalStep) {
            clipFrequency = round(Math.min(1.0, p.clippedSteps() / (double) (p.globalStep() - prevGlobalStep)));
        }
        if (p.globalStep() != null) {
            prevGlobalStep = p.globalStep();
        }
        Double suggested = norms.size() >= 3 ? round(2 * norms.median(norms.size())) : null;
        return new Verdict.Gradients(norm == null || !Double.isFinite(norm) ? null : round(norm), exploding,
                vanishing, dead, imbalance, ratio, clipFrequency, suggested);
    }

    private void advise(Verdict.Gradients g, int e, Findings f) {
        int rank = Recommender.RANK_GRADIENTS;
        if (g.exploding()) {
            f.condition(rank, "gradients.exploding", new Condition(Alert.CRITICAL,
                    () -> "Gradient norm above " + fmt(settings.exploding()) + " at epoch " + e + "."));
            f.evidence(rank, () -> new Verdict.Evidence("gradients.exploding", params("threshold", settings.exploding(),
                    "lr_factor", settings.lrFactor()), params("grad_norm", g.norm(), "suggested_clip",
                            g.suggestedClip())));
            f.advise(new Advice(Recommender.EXPLODING, Verdict.REDUCE_LR, 0.75, () ->
                    "Reduce the learning rate (e.g. × " + fmt(settings.lrFactor()) + ") or clip gradients"
                            + (g.suggestedClip() != null ? " (e.g. at " + fmt(g.suggestedClip()) + ")" : "")
                            + ": gradients are exploding (norm above " + fmt(settings.exploding()) + ")."));
        }
        if (g.vanishing()) {
            f.condition(rank, "gradients.vanishing", new Condition(Alert.WARNING,
                    () -> "Gradient norm below " + fmt(settings.vanishing()) + " at epoch " + e + "."));
            f.evidence(rank, () -> new Verdict.Evidence("gradients.vanishing", params("threshold", settings.vanishing()),
                    params("grad_norm", g.norm())));
        }
        if (!g.deadLayers().isEmpty()) {
            f.condition(rank, "gradients.dead_layers", new Condition(Alert.WARNING,
                    () -> g.deadLayers().size() + " layer(s) have a zero gradient: "
                            + String.join(", ", g.deadLayers().subList(0, Math.min(5, g.deadLayers().size())))
                            + (g.deadLayers().size() > 5 ? ", …" : "") + "."));
            f.evidence(rank, () -> new Verdict.Evidence("gradients.dead_layers", params(),
                    params("dead_layers", g.deadLayers().size())));
        }
        if (g.imbalance()) {
            f.condition(rank, "gradients.imbalance", new Condition(Alert.INFO, () -> "Layer gradient norms differ by "
                    + fmt(g.imbalanceRatio()) + "× (threshold " + fmt(settings.imbalance()) + "×)."));
            f.evidence(rank, () -> new Verdict.Evidence("gradients.imbalance", params("threshold", settings.imbalance()),
                    params("imbalance_ratio", g.imbalanceRatio())));
        }
        if (g.clipFrequency() != null && g.clipFrequency() > settings.clipFrequency()) {
            f.condition(rank, "gradients.clipping", new Condition(Alert.INFO,
                    () -> "Gradients clipped in " + Math.round(g.clipFrequency() * 100)
                            + " % of steps; the clip value is doing the optimiser's job."));
        }
        if (g.vanishing() || !g.deadLayers().isEmpty()) {
            f.advise(new Advice(Recommender.VANISHING, Verdict.INVESTIGATE, 0.6, () -> "Investigate: " + (g.vanishing()
                    ? "gradients are vanishing (norm below " + fmt(settings.vanishing()) + ")"
                    : g.deadLayers().size() + " layer(s) receive no gradient") + "."));
        }
    }
}
