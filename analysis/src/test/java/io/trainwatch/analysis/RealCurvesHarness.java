package io.trainwatch.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Replays the 27 real training curves of {@code src/test/resources/curves/real_curves.jsonl} epoch by epoch, as a
 * trainer would emit them, and measures the engine against the classic patience rule (N = 5, 10, 20): the first
 * epoch each advises {@code stop}, the regret of stopping there, the share of epochs saved, and whether the engine
 * recognised the labelled pathology. Definitions of regret and epochs saved are those of the corpus README.
 *
 * <p>Run: {@code ./mvnw -B -o -pl analysis test -Dtest=RealCurvesTest} (prints the table), or this class's main.
 */
public final class RealCurvesHarness {

    static final int[] PATIENCES = {5, 10, 20};

    /** One run of the corpus. */
    record Run(String id, String label, List<EpochPoint> epochs) {
    }

    /** Where a policy stopped a run and what it cost. */
    record Outcome(Integer stopEpoch, double regret, double saved) {
    }

    /** Everything measured on one run. */
    record RunReport(Run run, Outcome engine, List<Outcome> patience, Set<String> flags, boolean recognised,
            boolean pathology, String finalAction, String stopReason) {
    }

    /** Totals over the corpus. */
    record Summary(List<RunReport> runs, double engineRegret, double engineSaved, double[] patienceRegret,
            double[] patienceSaved, int pathologies, int recognised, int stillImprovingStopped,
            int stillImprovingRuns) {

        double recognisedShare() {
            return pathologies == 0 ? 1 : (double) recognised / pathologies;
        }
    }

    private RealCurvesHarness() {
    }

    public static void main(String[] args) throws IOException {
        Summary s = run(AnalysisSettings.defaults());
        System.out.println(table(s));
    }

    static List<Run> load() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<Run> runs = new ArrayList<>();
        try (InputStream in = RealCurvesHarness.class.getResourceAsStream("/curves/real_curves.jsonl")) {
            if (in == null) {
                throw new IOException("curves/real_curves.jsonl: not on the test classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = mapper.readTree(line);
                List<EpochPoint> epochs = new ArrayList<>();
                for (JsonNode e : node.get("epochs")) {
                    epochs.add(new EpochPoint(e.get("epoch").asInt(), num(e, "train_loss"), num(e, "val_loss"),
                            num(e, "train_accuracy"), num(e, "val_accuracy"), num(e, "learning_rate"), null, null,
                            null, null, null, null, null, null));
                }
                runs.add(new Run(node.get("id").asText(), node.get("label").asText(), epochs));
            }
        }
        return runs;
    }

    private static Double num(JsonNode e, String field) {
        JsonNode v = e.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return switch (v.asText()) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> Double.valueOf(v.asText());
            };
        }
        return v.asDouble();
    }

    static Summary run(AnalysisSettings settings) throws IOException {
        List<RunReport> reports = new ArrayList<>();
        double er = 0;
        double es = 0;
        double[] pr = new double[PATIENCES.length];
        double[] ps = new double[PATIENCES.length];
        int pathologies = 0;
        int recognised = 0;
        int stillStopped = 0;
        int stillRuns = 0;
        for (Run run : load()) {
            RunReport r = analyse(settings, run);
            reports.add(r);
            er += r.engine().regret();
            es += r.engine().saved();
            for (int i = 0; i < PATIENCES.length; i++) {
                pr[i] += r.patience().get(i).regret();
                ps[i] += r.patience().get(i).saved();
            }
            if (r.pathology()) {
                pathologies++;
                if (r.recognised()) {
                    recognised++;
                }
            }
            if (run.label().endsWith("-still-improving")) {
                stillRuns++;
                if (r.engine().stopEpoch() != null) {
                    stillStopped++;
                }
            }
        }
        return new Summary(reports, er, es, pr, ps, pathologies, recognised, stillStopped, stillRuns);
    }

    static RunReport analyse(AnalysisSettings settings, Run run) {
        RunAnalyzer analyzer = new RunAnalyzer(settings);
        System.setProperty("tw.run", run.id());
        Integer stop = null;
        String stopReason = null;
        Set<String> flags = new LinkedHashSet<>();
        Verdict last = null;
        for (EpochPoint p : run.epochs()) {
            Verdict v = analyzer.onEpoch(p).verdict();
            last = v;
            if (run.id().equals(System.getenv("TW_TRACE"))) {
                System.err.println(p.epoch() + " " + p.valLoss() + " " + v.plateau() + " " + v.overfitting() + " "
                        + v.stability() + " " + v.trend().get("val_loss") + " -> " + v.recommendation().action() + ": "
                        + v.recommendation().reason());
            }
            if (stop == null && Verdict.STOP.equals(v.recommendation().action())) {
                stop = p.epoch();
                stopReason = v.recommendation().reason();
            }
            if (v.overfitting().detected()) {
                flags.add("overfitting");
            }
            if (v.overfitting().validationIssue() != null) {
                flags.add("validation-issue");
            }
            if (v.plateau().detected()) {
                flags.add(v.plateau().converged() ? "converged" : "plateau");
            }
            if (v.divergence().detected()) {
                flags.add("divergence");
            }
            if (v.divergence().recovered()) {
                flags.add("recovered-divergence");
            }
            Verdict.Trend valTrend = v.trend().get("val_loss");
            if (valTrend != null && Verdict.Trend.UNSTABLE.equals(valTrend.state())
                    || !v.stability().volatilePeriods().isEmpty()
                    || v.alerts().stream().anyMatch(a -> a.kind().equals("instability") && a.stillOpen())) {
                flags.add("unstable");
            }
        }
        List<Double> vals = new ArrayList<>();
        for (EpochPoint p : run.epochs()) {
            vals.add(p.valLoss());
        }
        Outcome engine = outcome(run, vals, stop);
        List<Outcome> patience = new ArrayList<>();
        for (int n : PATIENCES) {
            patience.add(outcome(run, vals, patienceStop(run, vals, n)));
        }
        String label = run.label();
        boolean pathology = isPathology(label);
        boolean recognised = switch (label) {
            case "overfitting" -> flags.contains("overfitting");
            case "plateau", "healthy-then-plateau" -> flags.contains("plateau") || flags.contains("converged")
                    || flags.contains("validation-issue");
            case "divergence" -> flags.contains("divergence");
            case "recoverable-divergence" -> flags.contains("recovered-divergence");
            case "noisy" -> flags.contains("unstable");
            default -> true;
        };
        return new RunReport(run, engine, patience, flags, recognised, pathology,
                last == null ? null : last.recommendation().action(), stopReason);
    }

    static boolean isPathology(String label) {
        return switch (label) {
            case "overfitting", "plateau", "healthy-then-plateau", "divergence", "recoverable-divergence", "noisy" ->
                true;
            default -> false;
        };
    }

    /** Classic early stopping: stop once the best validation loss has not improved (strictly) for n epochs. */
    static Integer patienceStop(Run run, List<Double> vals, int n) {
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = -1;
        for (int i = 0; i < vals.size(); i++) {
            Double v = vals.get(i);
            int epoch = run.epochs().get(i).epoch();
            if (v != null && Double.isFinite(v) && v < best) {
                best = v;
                bestEpoch = epoch;
            }
            if (bestEpoch >= 0 && epoch - bestEpoch >= n) {
                return epoch;
            }
        }
        return null;
    }

    /** Regret and epochs saved of stopping after {@code stop} (null: never stopped). */
    static Outcome outcome(Run run, List<Double> vals, Integer stop) {
        double bestAll = Double.POSITIVE_INFINITY;
        double bestUpToStop = Double.POSITIVE_INFINITY;
        int after = 0;
        for (int i = 0; i < vals.size(); i++) {
            Double v = vals.get(i);
            int epoch = run.epochs().get(i).epoch();
            if (stop != null && epoch > stop) {
                after++;
            }
            if (v == null || !Double.isFinite(v)) {
                continue;
            }
            bestAll = Math.min(bestAll, v);
            if (stop == null || epoch <= stop) {
                bestUpToStop = Math.min(bestUpToStop, v);
            }
        }
        if (stop == null || !Double.isFinite(bestAll)) {
            return new Outcome(stop, 0, stop == null ? 0 : (double) after / vals.size());
        }
        double regret = (bestUpToStop - bestAll) / Math.abs(bestAll);
        return new Outcome(stop, regret, (double) after / vals.size());
    }

    static String table(Summary s) {
        StringBuilder b = new StringBuilder();
        b.append("| run | label | epochs | engine stop | regret | saved | p5 stop | p5 regret | p5 saved | p10 stop"
                + " | p10 regret | p10 saved | p20 stop | p20 regret | p20 saved | flags | recognised |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for (RunReport r : s.runs()) {
            b.append("| ").append(r.run().id()).append(" | ").append(r.run().label()).append(" | ")
                    .append(r.run().epochs().size()).append(" | ");
            cells(b, r.engine());
            for (Outcome o : r.patience()) {
                cells(b, o);
            }
            b.append(String.join(", ", r.flags())).append(" | ")
                    .append(r.pathology() ? (r.recognised() ? "yes" : "NO") : "-").append(" |\n");
        }
        b.append(String.format(Locale.ROOT, "| **total** | | | | **%.3f** | **%.2f** | | %.3f | %.2f | | %.3f | %.2f"
                + " | | %.3f | %.2f | | %d/%d |%n", s.engineRegret(), s.engineSaved(), s.patienceRegret()[0],
                s.patienceSaved()[0], s.patienceRegret()[1], s.patienceSaved()[1], s.patienceRegret()[2],
                s.patienceSaved()[2], s.recognised(), s.pathologies()));
        int n = s.runs().size();
        b.append(String.format(Locale.ROOT,
                "%nTotals over %d runs (regret: sum of relative regrets; saved: sum of the fractions of each run's"
                        + " epochs after the stop; mean saved = saved / runs):%n"
                        + "  engine       regret %.3f  saved %.2f (mean %.1f %%)%n", n, s.engineRegret(),
                s.engineSaved(), 100 * s.engineSaved() / n));
        for (int i = 0; i < PATIENCES.length; i++) {
            b.append(String.format(Locale.ROOT, "  patience-%-2d  regret %.3f  saved %.2f (mean %.1f %%)%n",
                    PATIENCES[i], s.patienceRegret()[i], s.patienceSaved()[i], 100 * s.patienceSaved()[i] / n));
        }
        b.append(String.format(Locale.ROOT, "  pathologies recognised %d/%d (%.0f %%); still-improving runs told to"
                + " stop %d/%d%n", s.recognised(), s.pathologies(), 100 * s.recognisedShare(),
                s.stillImprovingStopped(), s.stillImprovingRuns()));
        for (RunReport r : s.runs()) {
            if (r.stopReason() != null) {
                b.append("  ").append(r.run().id()).append(" @").append(r.engine().stopEpoch()).append(": ")
                        .append(r.stopReason()).append('\n');
            }
        }
        return b.toString();
    }

    private static void cells(StringBuilder b, Outcome o) {
        if (o.stopEpoch() == null) {
            b.append("- | 0 | 0 | ");
        } else {
            b.append(o.stopEpoch()).append(" | ").append(String.format(Locale.ROOT, "%.3f", o.regret())).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", o.saved())).append(" | ");
        }
    }
}
