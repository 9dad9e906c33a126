package io.trainwatch.analysis;

import java.util.List;

/** The verdict after one epoch and the alerts that opened or resolved with it (empty when nothing changed). */
public record AnalysisResult(Verdict verdict, List<AlertChange> alertChanges) {

    public AnalysisResult {
        alertChanges = List.copyOf(alertChanges);
    }
}
