package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The analysis verdict (GET /runs/{id}/analysis, docs/analysis.md) in words: what to do and why first, then the
 * facts behind it. Pure formatting, so it is tested on canned verdicts.
 */
public final class VerdictText {

    private VerdictText() {
    }

    public static List<String> lines(JsonNode v, Style style) {
        List<String> out = new ArrayList<>();
        String runId = v.path("run_id").asText("?");
        String status = v.path("status").asText(null);
        JsonNode epoch = v.get("epoch");
        String head = "Run " + runId + (status == null ? "" : " (" + status + ")");
        out.add(style.bold(epoch == null || epoch.isNull() ? head + ": no epochs analysed yet" : head + ", analysed up to epoch " + epoch.asInt()));

        JsonNode rec = v.path("recommendation");
        if (rec.isObject() && rec.hasNonNull("action")) {
            String action = rec.get("action").asText();
            out.add("Recommendation: " + style.action(action, action.toUpperCase(Locale.ROOT))
                    + " (confidence " + Fmt.percent(rec.get("confidence")) + ")");
            if (rec.hasNonNull("reason")) {
                out.add("  " + rec.get("reason").asText());
            }
        }

        if (v.hasNonNull("best_epoch")) {
            StringBuilder best = new StringBuilder("Best epoch: ").append(v.get("best_epoch").asInt());
            if (v.hasNonNull("best_val_loss")) {
                best.append(" (val_loss ").append(Fmt.num(v.get("best_val_loss"))).append(')');
            }
            if (v.hasNonNull("epochs_since_improvement")) {
                best.append(", ").append(v.get("epochs_since_improvement").asInt()).append(" epochs since improvement");
            }
            JsonNode es = v.path("early_stopping");
            if (es.isObject() && es.has("patience")) {
                best.append(es.path("ready").asBoolean() ? "; early stopping ready" : "; early stopping not yet due")
                        .append(" (patience ").append(es.get("patience").asInt()).append(')');
            }
            out.add(best.toString());
        }

        JsonNode trend = v.path("trend");
        if (trend.isObject() && trend.size() > 0) {
            out.add("Trends:");
            for (Iterator<Map.Entry<String, JsonNode>> it = trend.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode t = e.getValue();
                String state = t.path("state").asText("-");
                String slope = t.hasNonNull("slope") ? "slope " + signed(t.get("slope").asDouble()) + "/epoch" : "";
                out.add(String.format(Locale.ROOT, "  %-15s %-10s %s", e.getKey(), state, slope).stripTrailing());
            }
        }

        out.add("Overfitting: " + overfitting(v.path("overfitting")));
        out.add("Plateau: " + plateau(v.path("plateau")));
        out.add("Divergence: " + divergence(v.path("divergence")));
        String gradients = gradients(v.path("gradients"));
        if (gradients != null) {
            out.add("Gradients: " + gradients);
        }
        JsonNode f = v.path("forecast");
        if (f.hasNonNull("final_val_loss")) {
            out.add("Forecast: final val_loss " + Fmt.num(f.get("final_val_loss"))
                    + (f.hasNonNull("low") && f.hasNonNull("high") ? " (" + Fmt.num(f.get("low")) + " to " + Fmt.num(f.get("high")) + ")" : "")
                    + (f.hasNonNull("at_epoch") ? " at epoch " + f.get("at_epoch").asInt() : ""));
        }
        JsonNode after = v.path("after_best");
        if (after.hasNonNull("epochs") && after.get("epochs").asInt() > 0) {
            out.add("Spent after the best epoch: " + after.get("epochs").asInt() + " epochs"
                    + (after.hasNonNull("compute_seconds") ? " (" + Fmt.duration(after.get("compute_seconds").asDouble()) + ")" : ""));
        }

        JsonNode evidence = rec.path("evidence");
        if (evidence.isArray() && evidence.size() > 0) {
            out.add("Evidence:");
            for (JsonNode ev : evidence) {
                StringBuilder b = new StringBuilder("  - ").append(ev.path("rule").asText("?"));
                String params = pairs(ev.path("params"));
                String values = pairs(ev.path("values"));
                if (!params.isEmpty()) {
                    b.append("  params ").append(params);
                }
                if (!values.isEmpty()) {
                    b.append("  values ").append(values);
                }
                out.add(b.toString());
            }
        }

        JsonNode alerts = v.path("alerts");
        List<String> open = new ArrayList<>();
        if (alerts.isArray()) {
            for (JsonNode a : alerts) {
                if (a.path("resolved_epoch").isNull() || a.path("resolved_epoch").isMissingNode()) {
                    open.add("  " + alert(a, style));
                }
            }
        }
        if (!open.isEmpty()) {
            out.add("Open alerts:");
            out.addAll(open);
        }
        JsonNode notAssessed = v.path("not_assessed");
        if (notAssessed.isArray() && notAssessed.size() > 0) {
            List<String> items = new ArrayList<>();
            notAssessed.forEach(n -> items.add(n.asText()));
            out.add(style.dim("Not assessed: " + String.join("; ", items)));
        }
        return out;
    }

    /** One alert in a line: "[WARNING] overfitting (epoch 36): message", resolved ones say so. */
    public static String alert(JsonNode a, Style style) {
        String severity = a.path("severity").asText("info");
        boolean resolved = a.hasNonNull("resolved_epoch") || "resolved".equals(a.path("state").asText());
        StringBuilder b = new StringBuilder();
        b.append('[').append(severity.toUpperCase(Locale.ROOT)).append("] ").append(a.path("kind").asText("alert"));
        if (resolved) {
            b.append(" resolved at epoch ").append(Fmt.text(a.get("resolved_epoch")));
        } else if (a.hasNonNull("opened_epoch")) {
            b.append(" (epoch ").append(a.get("opened_epoch").asInt()).append(')');
        }
        if (a.hasNonNull("message")) {
            b.append(": ").append(a.get("message").asText());
        }
        return resolved ? style.green(b.toString()) : style.severity(severity, b.toString());
    }

    static String overfitting(JsonNode o) {
        if (!o.path("detected").asBoolean(false)) {
            String issue = o.hasNonNull("validation_issue") ? " (validation set: " + o.get("validation_issue").asText() + ")" : "";
            return "not detected" + issue;
        }
        StringBuilder b = new StringBuilder("detected");
        if (o.hasNonNull("onset_epoch")) {
            b.append(" since epoch ").append(o.get("onset_epoch").asInt());
        }
        if (o.hasNonNull("severity")) {
            b.append(", ").append(o.get("severity").asText());
        }
        if (o.hasNonNull("gap")) {
            b.append(" (train/val gap ").append(Fmt.num(o.get("gap")));
            if (o.hasNonNull("gap_rel")) {
                b.append(", ").append(Fmt.percent(o.get("gap_rel"))).append(" of val loss");
            }
            b.append(')');
        }
        if (o.hasNonNull("confidence")) {
            b.append(", confidence ").append(Fmt.percent(o.get("confidence")));
        }
        return b.toString();
    }

    static String plateau(JsonNode p) {
        if (!p.path("detected").asBoolean(false)) {
            return "not detected";
        }
        StringBuilder b = new StringBuilder(p.path("converged").asBoolean(false) ? "converged" : "detected");
        if (p.hasNonNull("since_epoch")) {
            b.append(" since epoch ").append(p.get("since_epoch").asInt());
        }
        if (p.hasNonNull("relative_improvement")) {
            b.append(", best improved ").append(Fmt.percent(p.get("relative_improvement")));
            if (p.hasNonNull("window")) {
                b.append(" over the last ").append(p.get("window").asInt()).append(" epochs");
            }
        }
        if (p.path("lr_changed_recently").asBoolean(false)) {
            b.append(" (learning rate changed recently)");
        }
        return b.toString();
    }

    static String divergence(JsonNode d) {
        if (!d.path("detected").asBoolean(false)) {
            return "not detected";
        }
        StringBuilder b = new StringBuilder("detected");
        if (d.hasNonNull("kind")) {
            b.append(": ").append(d.get("kind").asText().replace('_', ' '));
        }
        if (d.hasNonNull("series")) {
            b.append(" of ").append(d.get("series").asText());
        }
        if (d.hasNonNull("epoch")) {
            b.append(" at epoch ").append(d.get("epoch").asInt());
        }
        if (d.path("recovered").asBoolean(false)) {
            b.append(", recovered since");
        }
        return b.toString();
    }

    /** Only what is wrong with the gradients; null when nothing is (or nothing was measured). */
    static String gradients(JsonNode g) {
        List<String> issues = new ArrayList<>();
        if (g.path("exploding").asBoolean(false)) {
            issues.add("exploding" + (g.hasNonNull("norm") ? " (norm " + Fmt.num(g.get("norm")) + ")" : ""));
        }
        if (g.path("vanishing").asBoolean(false)) {
            issues.add("vanishing");
        }
        JsonNode dead = g.path("dead_layers");
        if (dead.isArray() && dead.size() > 0) {
            List<String> names = new ArrayList<>();
            dead.forEach(n -> names.add(n.asText()));
            issues.add("dead layers " + String.join(", ", names));
        }
        if (g.path("imbalance").asBoolean(false)) {
            issues.add("imbalanced between layers" + (g.hasNonNull("imbalance_ratio") ? " (ratio " + Fmt.num(g.get("imbalance_ratio")) + ")" : ""));
        }
        if (issues.isEmpty()) {
            return null;
        }
        String clip = g.hasNonNull("suggested_clip") ? "; suggested clip " + Fmt.num(g.get("suggested_clip")) : "";
        return String.join(", ", issues) + clip;
    }

    private static String signed(double d) {
        String s = Fmt.num(d);
        return d >= 0 ? "+" + s : s;
    }

    private static String pairs(JsonNode obj) {
        if (!obj.isObject()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode val = e.getValue();
            parts.add(e.getKey() + "=" + (val.isNumber() && !val.isIntegralNumber() ? Fmt.num(val) : val.isValueNode() ? val.asText() : val.toString()));
        }
        return String.join(" ", parts);
    }
}
