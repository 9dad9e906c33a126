package io.trainwatch.analysis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens and resolves alerts from the conditions of each epoch, with hysteresis so an alert never flaps: an info
 * alert (plateau, instability) opens only once its condition has held {@code alerts.open_epochs} epochs running;
 * warning and critical alerts open at once (a NaN or a spike is an event, and a delay there costs compute); any alert
 * resolves only once its condition has been absent {@code alerts.resolve_epochs} epochs running, and a resolved
 * alert other than a critical one cannot reopen within {@code alerts.resolve_epochs} epochs of resolving.
 *
 * <p>Its state is bounded by the number of alert kinds, not by the length of the run.
 */
final class AlertBook {

    private final int openEpochs;
    private final int resolveEpochs;
    private final Map<String, Alert> open = new LinkedHashMap<>();
    /** Kind → first epoch of the current unbroken stretch in which its condition held, for kinds not open. */
    private final Map<String, Integer> pendingSince = new HashMap<>();
    /** Open kind → epochs running its condition has been absent. */
    private final Map<String, Integer> absent = new HashMap<>();
    /** Kind → first epoch at which a resolved warning/info alert may open again. */
    private final Map<String, Integer> quietUntil = new HashMap<>();
    private final Deque<Alert> resolved = new ArrayDeque<>();

    AlertBook(AnalysisSettings settings) {
        this.openEpochs = openEpochs(settings);
        this.resolveEpochs = resolveEpochs(settings);
    }

    static int openEpochs(AnalysisSettings settings) {
        return Math.max(1, (int) Math.round(settings.threshold("alerts.open_epochs")));
    }

    static int resolveEpochs(AnalysisSettings settings) {
        return Math.max(1, (int) Math.round(settings.threshold("alerts.resolve_epochs")));
    }

    /** Takes this epoch's conditions (kind → condition) and returns the alerts that opened or resolved with it. */
    List<AlertChange> update(int epoch, Map<String, Condition> conditions) {
        List<AlertChange> changes = new ArrayList<>();
        var it = open.entrySet().iterator();
        while (it.hasNext()) {
            var entry = it.next();
            String kind = entry.getKey();
            if (conditions.containsKey(kind)) {
                absent.remove(kind);
                continue;
            }
            int gone = absent.merge(kind, 1, Integer::sum);
            if (gone >= resolveEpochs) {
                Alert r = entry.getValue().resolvedAt(epoch);
                it.remove();
                absent.remove(kind);
                quietUntil.put(kind, epoch + resolveEpochs);
                resolved.addFirst(r);
                if (resolved.size() > RunAnalyzer.MAX_RESOLVED_KEPT) {
                    resolved.removeLast();
                }
                changes.add(new AlertChange(r, false));
            }
        }
        pendingSince.keySet().removeIf(kind -> !conditions.containsKey(kind));
        for (Map.Entry<String, Condition> c : conditions.entrySet()) {
            String kind = c.getKey();
            if (open.containsKey(kind)) {
                continue;
            }
            int since = pendingSince.computeIfAbsent(kind, k -> epoch);
            String severity = c.getValue().severity();
            boolean critical = Alert.CRITICAL.equals(severity);
            boolean held = !Alert.INFO.equals(severity) || epoch - since + 1 >= openEpochs;
            boolean quiet = epoch < quietUntil.getOrDefault(kind, Integer.MIN_VALUE);
            if (critical || held && !quiet) {
                Alert opened = Alert.open(kind, c.getValue().severity(), epoch, c.getValue().message().get());
                open.put(kind, opened);
                pendingSince.remove(kind);
                changes.add(new AlertChange(opened, true));
            }
        }
        return changes;
    }

    /** The open alerts, then the most recently resolved ones, newest first. */
    List<Alert> alerts() {
        List<Alert> all = new ArrayList<>(open.size() + resolved.size());
        all.addAll(open.values());
        all.addAll(resolved);
        return all;
    }
}
