package io.trainwatch.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the rules found at one epoch: the sections later rules build on, and everything the verdict collects from
 * all of them (advice, evidence, alert conditions, not-assessed notes). One per epoch, thrown away after it.
 */
final class Findings {

    // Sections that later rules read.
    Map<String, Verdict.Trend> trends = Map.of();
    String validationIssue;
    Verdict.Stability stability;
    Verdict.Forecast forecast;

    private final List<Advice> advice = new ArrayList<>(4);
    private final List<Ranked<Supplier<Verdict.Evidence>>> evidence = new ArrayList<>(4);
    private final List<Ranked<Map.Entry<String, Condition>>> conditions = new ArrayList<>(4);
    private final List<String> notAssessed = new ArrayList<>();

    private record Ranked<T>(int rank, T item) {
    }

    void advise(Advice a) {
        advice.add(a);
    }

    /**
     * Evidence of the rule of the given rank ({@link Recommender} table order), listed in rank order; built only when
     * a verdict is asked for.
     */
    void evidence(int rank, Supplier<Verdict.Evidence> e) {
        evidence.add(new Ranked<>(rank, e));
    }

    void condition(int rank, String kind, Condition c) {
        conditions.add(new Ranked<>(rank, Map.entry(kind, c)));
    }

    void notAssessed(String note) {
        notAssessed.add(note);
    }

    /** Whether some advice of higher priority than {@code priority} is already on the table. */
    boolean advisedAbove(int priority) {
        return advice.stream().anyMatch(a -> a.priority() < priority);
    }

    List<Advice> advice() {
        return advice;
    }

    List<Verdict.Evidence> evidence() {
        return evidence.stream().sorted(java.util.Comparator.comparingInt(Ranked::rank)).map(r -> r.item().get())
                .toList();
    }

    Map<String, Condition> conditions() {
        Map<String, Condition> m = new LinkedHashMap<>();
        conditions.stream().sorted(java.util.Comparator.comparingInt(Ranked::rank))
                .forEach(r -> m.putIfAbsent(r.item().getKey(), r.item().getValue()));
        return m;
    }

    List<String> notAssessedNotes() {
        return notAssessed;
    }
}
