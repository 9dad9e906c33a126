package io.trainwatch.metrics.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.analysis.Alert;
import io.trainwatch.analysis.Verdict;

import java.util.List;

/**
 * A run's new verdict and its JSON document (with run_id), as {@link VerdictStore} stores it.
 *
 * @param alerts the latest state of every alert that opened or resolved while the epochs were fed
 * @param rebuilt true when the whole stored history was replayed: then {@code alerts} are all the run's alerts,
 *     and a stored alert that the replay did not raise (it came from an incomplete, out-of-order history) is removed
 */
public record RunVerdict(RunRow run, Verdict verdict, ObjectNode document, List<Alert> alerts, boolean rebuilt) {
}
