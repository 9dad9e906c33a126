package io.trainwatch.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Replays the real training curves of {@code src/test/resources/curves/real_curves.jsonl} epoch by epoch, as a
 * trainer would emit them (with {@code total_epochs}, as trainer-host sends it), and measures:
 * <ul>
 * <li>stop advice: the first epoch the engine advises {@code stop}, against the classic rules replayed on the same
 * curves: patience-N and Prechelt's GL, PQ and UP criteria ("Early Stopping — But When?", 1998);</li>
 * <li>regret, normalised: (best validation loss up to the stop − best of the run) / (first validation loss − best of
 * the run), 0 when the run never improved — the share of the achievable improvement that stopping there lost;</li>
 * <li>the forecast of the final validation loss at 25, 50 and 75 % of each run: error and interval coverage;</li>
 * <li>calibration of the {@code stop} confidence (right = regret ≤ 1 %) and the alert transitions.</li>
 * </ul>
 *
 * <p>Run: {@code ./mvnw -B -o -pl analysis test -Dtest=RealCurvesTest} (prints the table), or this class's main.
 */
public final class RealCurvesHarness {

    /** A stop is right when it lost at most this share of the achievable improvement. */
    static final double RIGHT_REGRET = 0.01;
    /** Prechelt's strip length: training progress and UP are measured over strips of this many epochs. */
    static final int STRIP = 5;
    static final double[] FORECAST_POINTS = {0.25, 0.5, 0.75};
    static final double[] CONFIDENCE_BINS = {0.5, 0.6, 0.7, 0.8, 0.9, 1.0001};

    /** One run of the corpus. */
    record Run(String id, String label, List<EpochPoint> epochs) {
    }

    /** Where a policy stopped a run and what it cost. */
    record Outcome(Integer stopEpoch, double regret, double relativeRegret, double saved) {
    }

    /** A classic stopping rule: the first epoch (index into the run) after which it stops, or null. */
    record Classic(String name, BiFunction<double[], double[], Integer> stopIndex) {
    }

    /** The forecast made at one point of a run. */
    record ForecastCheck(String runId, double at, double forecast, double low, double high, double truth) {

        double ape() {
            return Math.abs(forecast - truth) / Math.abs(truth);
        }

        boolean covered() {
            return truth >= low && truth <= high;
        }
    }

    /** Everything measured on one run. */
    record RunReport(Run run, Outcome engine, Map<String, Outcome> classic, Set<String> flags, boolean recognised,
            boolean pathology, String stopReason, List<ForecastCheck> forecasts, List<double[]> stopConfidences,
            int alertOpens, int alertResolves, int reopenedWithinHysteresis) {
    }

    /** Mean regret and savings of one policy. */
    record Score(String name, double regret, double relativeRegret, double saved) {
    }

    /** Totals over the corpus. */
    record Summary(List<RunReport> runs, Score engine, List<Score> classic, int pathologies, int recognised,
            int stillImprovingStopped, int stillImprovingRuns) {

        double recognisedShare() {
            return pathologies == 0 ? 1 : (double) recognised / pathologies;
        }

        Score classic(String name) {
            return classic.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
        }

        /** Classic rules that dominate the engine: regret ≤ and saved ≥, one strictly. */
        List<String> dominatedBy() {
            List<String> d = new ArrayList<>();
            for (Score c : classic) {
                boolean le = c.regret() <= engine.regret() + 1e-12;
                boolean ge = c.saved() >= engine.saved() - 1e-12;
                boolean strict = c.regret() < engine.regret() - 1e-12 || c.saved() > engine.saved() + 1e-12;
                if (le && ge && strict) {
                    d.add(c.name());
                }
            }
            return d;
        }

        List<ForecastCheck> forecasts(double at) {
            return runs.stream().flatMap(r -> r.forecasts().stream()).filter(f -> f.at() == at).toList();
        }

        /** The first stop advice of each run (the one a trainer acts on): {confidence, right (1) or not, rule}. */
        List<double[]> stops() {
            return runs.stream().flatMap(r -> r.stopConfidences().stream()).toList();
        }

        double forecastCoverage() {
            List<ForecastCheck> all = runs.stream().flatMap(r -> r.forecasts().stream()).toList();
            return (double) all.stream().filter(ForecastCheck::covered).count() / Math.max(1, all.size());
        }

        double brier() {
            return stops().stream().mapToDouble(s -> (s[0] - s[1]) * (s[0] - s[1])).average().orElse(Double.NaN);
        }

        int reopenedWithinHysteresis() {
            return runs.stream().mapToInt(RunReport::reopenedWithinHysteresis).sum();
        }
    }

    private RealCurvesHarness() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println(table(run(AnalysisSettings.defaults())));
    }

    /** patience-5/10/20, GL_1/2/5, PQ_0.5/1/2, UP_2/3/4. */
    static List<Classic> classicRules() {
        List<Classic> rules = new ArrayList<>();
        for (int n : new int[] {5, 10, 20}) {
            rules.add(new Classic("patience-" + n, (val, train) -> patienceStop(val, n)));
        }
        for (double a : new double[] {1, 2, 5}) {
            rules.add(new Classic("GL" + fmt(a), (val, train) -> glStop(val, a)));
        }
        for (double a : new double[] {0.5, 1, 2}) {
            rules.add(new Classic("PQ" + fmt(a), (val, train) -> pqStop(val, train, a)));
        }
        for (int s : new int[] {2, 3, 4}) {
            rules.add(new Classic("UP" + s, (val, train) -> upStop(val, s)));
        }
        return rules;
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
                int total = node.get("epochs").size();
                List<EpochPoint> epochs = new ArrayList<>();
                for (JsonNode e : node.get("epochs")) {
                    epochs.add(new EpochPoint(e.get("epoch").asInt(), num(e, "train_loss"), num(e, "val_loss"),
                            num(e, "train_accuracy"), num(e, "val_accuracy"), num(e, "learning_rate"), null, null,
                            null, null, null, null, null, total));
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
        for (Run run : load()) {
            reports.add(analyse(settings, run));
        }
        int n = reports.size();
        Score engine = new Score("engine", reports.stream().mapToDouble(r -> r.engine().regret()).sum() / n,
                reports.stream().mapToDouble(r -> r.engine().relativeRegret()).sum() / n,
                reports.stream().mapToDouble(r -> r.engine().saved()).sum() / n);
        List<Score> classic = new ArrayList<>();
        for (Classic c : classicRules()) {
            classic.add(new Score(c.name(), reports.stream().mapToDouble(r -> r.classic().get(c.name()).regret())
                    .sum() / n, reports.stream().mapToDouble(r -> r.classic().get(c.name()).relativeRegret()).sum() / n,
                    reports.stream().mapToDouble(r -> r.classic().get(c.name()).saved()).sum() / n));
        }
        int pathologies = (int) reports.stream().filter(RunReport::pathology).count();
        int recognised = (int) reports.stream().filter(r -> r.pathology() && r.recognised()).count();
        int stillRuns = (int) reports.stream().filter(r -> r.run().label().endsWith("-still-improving")).count();
        int stillStopped = (int) reports.stream()
                .filter(r -> r.run().label().endsWith("-still-improving") && r.engine().stopEpoch() != null).count();
        return new Summary(reports, engine, classic, pathologies, recognised, stillStopped, stillRuns);
    }

    static RunReport analyse(AnalysisSettings settings, Run run) {
        RunAnalyzer analyzer = new RunAnalyzer(settings);
        int size = run.epochs().size();
        double[] val = new double[size];
        double[] train = new double[size];
        for (int i = 0; i < size; i++) {
            EpochPoint p = run.epochs().get(i);
            val[i] = p.valLoss() == null ? Double.NaN : p.valLoss();
            train[i] = p.trainLoss() == null ? Double.NaN : p.trainLoss();
        }
        double truth = Double.NaN;
        for (int i = size - 1; i >= 0 && Double.isNaN(truth); i--) {
            truth = Double.isFinite(val[i]) ? val[i] : Double.NaN;
        }
        Set<Integer> forecastIndexes = new LinkedHashSet<>();
        for (double q : FORECAST_POINTS) {
            forecastIndexes.add(Math.max(0, (int) Math.round(q * size) - 1));
        }
        Integer stop = null;
        String stopReason = null;
        Set<String> flags = new LinkedHashSet<>();
        List<ForecastCheck> forecasts = new ArrayList<>();
        List<double[]> stopConfidences = new ArrayList<>();
        int opens = 0;
        int resolves = 0;
        int reopened = 0;
        Map<String, Integer> resolvedAt = new HashMap<>();
        int window = AlertBook.resolveEpochs(settings);
        for (int i = 0; i < size; i++) {
            EpochPoint p = run.epochs().get(i);
            AnalysisResult result = analyzer.onEpoch(p);
            Verdict v = result.verdict();
            if (run.id().equals(System.getenv("TW_TRACE"))) {
                System.err.println(p.epoch() + " " + p.valLoss() + " " + v.plateau() + " " + v.overfitting() + " "
                        + v.forecast() + " -> " + v.recommendation().action() + ": " + v.recommendation().reason());
            }
            for (AlertChange c : result.alertChanges()) {
                if (c.opened()) {
                    opens++;
                    Integer r = resolvedAt.get(c.alert().kind());
                    if (r != null && p.epoch() - r < window) {
                        reopened++;
                    }
                } else {
                    resolves++;
                    resolvedAt.put(c.alert().kind(), p.epoch());
                }
            }
            if (Verdict.STOP.equals(v.recommendation().action())) {
                if (stop == null) {
                    stop = p.epoch();
                    stopReason = v.recommendation().reason();
                }
                double regret = outcome(run, val, p.epoch()).regret();
                if (stopConfidences.isEmpty()) {
                    stopConfidences.add(new double[] {v.recommendation().confidence(), regret <= RIGHT_REGRET ? 1 : 0,
                        stopRule(v.recommendation().reason())});
                }
            }
            if (forecastIndexes.contains(i) && Double.isFinite(truth) && v.forecast().finalValLoss() != null) {
                double at = FORECAST_POINTS[List.copyOf(forecastIndexes).indexOf(i)];
                forecasts.add(new ForecastCheck(run.id(), at, v.forecast().finalValLoss(), v.forecast().low(),
                        v.forecast().high(), truth));
            }
            collectFlags(v, flags);
        }
        Outcome engine = outcome(run, val, stop);
        Map<String, Outcome> classic = new LinkedHashMap<>();
        for (Classic c : classicRules()) {
            Integer index = c.stopIndex().apply(val, train);
            classic.put(c.name(), outcome(run, val, index == null ? null : run.epochs().get(index).epoch()));
        }
        String label = run.label();
        boolean recognised = switch (label) {
            case "overfitting" -> flags.contains("overfitting");
            case "plateau", "healthy-then-plateau" -> flags.contains("plateau") || flags.contains("converged")
                    || flags.contains("validation-issue");
            case "divergence" -> flags.contains("divergence");
            case "recoverable-divergence" -> flags.contains("recovered-divergence");
            case "noisy" -> flags.contains("unstable");
            default -> true;
        };
        return new RunReport(run, engine, classic, flags, recognised, isPathology(label), stopReason, forecasts,
                stopConfidences, opens, resolves, reopened);
    }

    private static void collectFlags(Verdict v, Set<String> flags) {
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

    static final String[] STOP_RULES = {"divergence", "overfitting", "plateau", "patience"};

    /** Which rule a stop came from, by its reason: an index into {@link #STOP_RULES}. */
    static int stopRule(String reason) {
        if (reason.contains("diverged") || reason.contains("NaN") || reason.contains("infinite")) {
            return 0;
        }
        if (reason.contains("has risen")) {
            return 1;
        }
        return reason.contains("has not improved") ? 3 : 2;
    }

    static boolean isPathology(String label) {
        return switch (label) {
            case "overfitting", "plateau", "healthy-then-plateau", "divergence", "recoverable-divergence", "noisy" ->
                true;
            default -> false;
        };
    }

    // ----------------------------------------------------------------------------------------------------------
    // Classic rules; each returns the index of the epoch after which it stops, or null. Missing or non-finite
    // validation losses are skipped, as a trainer's callback would skip them.

    /** Stop once the best validation loss has not improved (strictly) for n epochs. */
    static Integer patienceStop(double[] val, int n) {
        double best = Double.POSITIVE_INFINITY;
        int bestIndex = -1;
        for (int i = 0; i < val.length; i++) {
            if (Double.isFinite(val[i]) && val[i] < best) {
                best = val[i];
                bestIndex = i;
            }
            if (bestIndex >= 0 && i - bestIndex >= n) {
                return i;
            }
        }
        return null;
    }

    /** Generalisation loss in %: 100 × (E_va(t) − E_opt(t)) / |E_opt(t)|. */
    private static double gl(double v, double best) {
        return 100 * (v - best) / Math.abs(best);
    }

    /** GL_α: stop after the first epoch with GL(t) > α. */
    static Integer glStop(double[] val, double alpha) {
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < val.length; i++) {
            if (!Double.isFinite(val[i])) {
                continue;
            }
            best = Math.min(best, val[i]);
            if (gl(val[i], best) > alpha) {
                return i;
            }
        }
        return null;
    }

    /**
     * PQ_α: at the end of each strip of {@link #STRIP} epochs, stop when GL(t) / P_k(t) > α, with training progress
     * P_k(t) = 1000 × (mean training loss over the strip / its minimum − 1). Needs the training loss of the strip.
     */
    static Integer pqStop(double[] val, double[] train, double alpha) {
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < val.length; i++) {
            if (Double.isFinite(val[i])) {
                best = Math.min(best, val[i]);
            }
            if ((i + 1) % STRIP != 0 || !Double.isFinite(val[i])) {
                continue;
            }
            double sum = 0;
            double min = Double.POSITIVE_INFINITY;
            boolean complete = true;
            for (int j = i - STRIP + 1; j <= i; j++) {
                complete &= Double.isFinite(train[j]);
                sum += train[j];
                min = Math.min(min, train[j]);
            }
            if (!complete || min == 0) {
                continue;
            }
            double progress = 1000 * (sum / STRIP / min - 1) * Math.signum(min);
            if (progress > 0 && gl(val[i], best) / progress > alpha) {
                return i;
            }
        }
        return null;
    }

    /** UP_s: stop at the end of the s-th successive strip whose validation loss is above the previous strip end's. */
    static Integer upStop(double[] val, int s) {
        int rising = 0;
        for (int i = 2 * STRIP - 1; i < val.length; i += STRIP) {
            double now = val[i];
            double before = val[i - STRIP];
            if (Double.isFinite(now) && Double.isFinite(before) && now > before) {
                rising++;
                if (rising >= s) {
                    return i;
                }
            } else {
                rising = 0;
            }
        }
        return null;
    }

    /** Regret (normalised and relative) and epochs saved of stopping after {@code stop} (null: never stopped). */
    static Outcome outcome(Run run, double[] val, Integer stop) {
        double first = Double.NaN;
        double bestAll = Double.POSITIVE_INFINITY;
        double bestUpToStop = Double.POSITIVE_INFINITY;
        int after = 0;
        for (int i = 0; i < val.length; i++) {
            int epoch = run.epochs().get(i).epoch();
            if (stop != null && epoch > stop) {
                after++;
            }
            if (!Double.isFinite(val[i])) {
                continue;
            }
            if (Double.isNaN(first)) {
                first = val[i];
            }
            bestAll = Math.min(bestAll, val[i]);
            if (stop == null || epoch <= stop) {
                bestUpToStop = Math.min(bestUpToStop, val[i]);
            }
        }
        double saved = stop == null ? 0 : (double) after / val.length;
        if (stop == null || !Double.isFinite(bestAll) || !Double.isFinite(bestUpToStop)) {
            return new Outcome(stop, 0, 0, saved);
        }
        double achievable = first - bestAll;
        double regret = achievable > 0 ? (bestUpToStop - bestAll) / achievable : 0;
        return new Outcome(stop, regret, (bestUpToStop - bestAll) / Math.abs(bestAll), saved);
    }

    // ----------------------------------------------------------------------------------------------------------
    // The table

    static String table(Summary s) {
        StringBuilder b = new StringBuilder();
        List<String> names = s.classic().stream().map(Score::name).toList();
        b.append("| run | label | epochs | engine stop | regret | saved | p10 stop | p10 regret | GL2 stop | UP3 stop |"
                + " flags | recognised |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for (RunReport r : s.runs()) {
            Outcome p10 = r.classic().get("patience-10");
            b.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.3f | %.2f | %s | %.3f | %s | %s | %s | %s |%n",
                    r.run().id(), r.run().label(), r.run().epochs().size(), stopText(r.engine()), r.engine().regret(),
                    r.engine().saved(), stopText(p10), p10.regret(), stopText(r.classic().get("GL2")),
                    stopText(r.classic().get("UP3")), String.join(", ", r.flags()),
                    r.pathology() ? (r.recognised() ? "yes" : "NO") : "-"));
        }
        int n = s.runs().size();
        b.append(String.format(Locale.ROOT, "%nStop advice over %d runs (mean per run; regret normalised by the"
                + " achievable improvement, relative regret = (seen - best) / |best| for comparison):%n%n", n));
        b.append("| policy | mean regret | mean relative regret | mean epochs saved | dominates the engine |\n"
                + "|---|---:|---:|---:|---|\n");
        List<String> dominating = s.dominatedBy();
        b.append(scoreRow(s.engine(), "-"));
        for (String name : names) {
            b.append(scoreRow(s.classic(name), dominating.contains(name) ? "YES" : "no"));
        }
        b.append(String.format(Locale.ROOT, "%nPer label (runs; engine regret / saved; patience-10 regret / saved):%n%n"));
        Map<String, List<RunReport>> byLabel = new TreeMap<>();
        s.runs().forEach(r -> byLabel.computeIfAbsent(r.run().label(), k -> new ArrayList<>()).add(r));
        b.append("| label | runs | engine regret | engine saved | p10 regret | p10 saved | p20 regret | p20 saved |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        byLabel.forEach((label, rs) -> b.append(String.format(Locale.ROOT,
                "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n", label, rs.size(),
                mean(rs, r -> r.engine().regret()), mean(rs, r -> r.engine().saved()),
                mean(rs, r -> r.classic().get("patience-10").regret()),
                mean(rs, r -> r.classic().get("patience-10").saved()),
                mean(rs, r -> r.classic().get("patience-20").regret()),
                mean(rs, r -> r.classic().get("patience-20").saved()))));
        b.append(String.format(Locale.ROOT, "%nPathologies recognised %d/%d (%.0f %%); still-improving runs told to"
                + " stop %d/%d; classic rules dominating the engine: %s%n", s.recognised(), s.pathologies(),
                100 * s.recognisedShare(), s.stillImprovingStopped(), s.stillImprovingRuns(),
                dominating.isEmpty() ? "none" : String.join(", ", dominating)));

        b.append(String.format(Locale.ROOT, "%nForecast of the final validation loss (interval: the verdict's"
                + " forecast low..high):%n%n| at | runs | median APE | mean APE | interval coverage |%n"
                + "|---:|---:|---:|---:|---:|%n"));
        for (double at : FORECAST_POINTS) {
            List<ForecastCheck> f = s.forecasts(at);
            double[] ape = f.stream().mapToDouble(ForecastCheck::ape).sorted().toArray();
            b.append(String.format(Locale.ROOT, "| %.0f %% | %d | %.1f %% | %.1f %% | %.0f %% |%n", 100 * at, f.size(),
                    100 * median(ape), 100 * Arrays.stream(ape).average().orElse(Double.NaN),
                    100.0 * f.stream().filter(ForecastCheck::covered).count() / Math.max(1, f.size())));
        }

        List<ForecastCheck> all = s.runs().stream().flatMap(r -> r.forecasts().stream()).toList();
        b.append(String.format(Locale.ROOT, "| all | %d | %.1f %% | | %.0f %% |%n", all.size(),
                100 * median(all.stream().mapToDouble(ForecastCheck::ape).sorted().toArray()),
                100 * s.forecastCoverage()));
        b.append(String.format(Locale.ROOT, "%nCalibration of stop confidence (the first stop advice of each run; right ="
                + " regret <= %.0f %% if stopped there):%n%n| confidence | stops | right | share right |%n"
                + "|---|---:|---:|---:|%n", 100 * RIGHT_REGRET));
        List<double[]> stops = s.stops();
        for (int i = 0; i + 1 < CONFIDENCE_BINS.length; i++) {
            double lo = CONFIDENCE_BINS[i];
            double hi = CONFIDENCE_BINS[i + 1];
            List<double[]> in = stops.stream().filter(x -> x[0] >= lo && x[0] < hi).toList();
            long right = in.stream().filter(x -> x[1] == 1).count();
            b.append(String.format(Locale.ROOT, "| %.1f-%.1f | %d | %d | %s |%n", lo, Math.min(1.0, hi), in.size(),
                    right, in.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f %%", 100.0 * right / in.size())));
        }
        for (int rule = 0; rule < STOP_RULES.length; rule++) {
            int k = rule;
            List<double[]> in = stops.stream().filter(x -> x[2] == k).toList();
            b.append(String.format(Locale.ROOT, "| by rule: %s | %d | %d | %s (mean confidence %.2f) |%n",
                    STOP_RULES[k], in.size(), in.stream().filter(x -> x[1] == 1).count(), in.isEmpty() ? "-"
                            : String.format(Locale.ROOT, "%.0f %%", 100.0 * in.stream().filter(x -> x[1] == 1).count()
                                    / in.size()), in.stream().mapToDouble(x -> x[0]).average().orElse(Double.NaN)));
        }
        b.append(String.format(Locale.ROOT, "%nBrier score %.3f over %d first stops%n", s.brier(), stops.size()));

        int opens = s.runs().stream().mapToInt(RunReport::alertOpens).sum();
        int resolves = s.runs().stream().mapToInt(RunReport::alertResolves).sum();
        int maxOpens = s.runs().stream().mapToInt(RunReport::alertOpens).max().orElse(0);
        b.append(String.format(Locale.ROOT, "%nAlerts: %d opened, %d resolved over %d runs (mean %.1f opened per run,"
                + " at most %d); reopened within the hysteresis window: %d%n", opens, resolves, n, (double) opens / n,
                maxOpens, s.reopenedWithinHysteresis()));
        for (RunReport r : s.runs()) {
            if (r.stopReason() != null) {
                b.append("  ").append(r.run().id()).append(" @").append(r.engine().stopEpoch()).append(": ")
                        .append(r.stopReason()).append('\n');
            }
        }
        return b.toString();
    }

    private static String scoreRow(Score c, String dominates) {
        return String.format(Locale.ROOT, "| %s | %.2f %% | %.3f | %.1f %% | %s |%n", c.name(), 100 * c.regret(),
                c.relativeRegret(), 100 * c.saved(), dominates);
    }

    private static String stopText(Outcome o) {
        return o.stopEpoch() == null ? "-" : String.valueOf(o.stopEpoch());
    }

    private static double mean(List<RunReport> rs, java.util.function.ToDoubleFunction<RunReport> f) {
        return rs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((int) v) : String.valueOf(v);
    }
}
