package io.trainwatch.metrics.store;

import io.smallrye.mutiny.Uni;
import io.trainwatch.analysis.Alert;
import io.trainwatch.analysis.Verdict;
import io.trainwatch.contracts.AlertOpened;
import io.trainwatch.contracts.AlertResolved;
import io.trainwatch.contracts.AnalysisUpdated;
import io.trainwatch.contracts.Severity;
import io.trainwatch.contracts.TrainwatchEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stores verdicts (the latest per run) and alert transitions in one transaction and notifies SSE; answers the
 * {@code analysis.updated}, {@code alert.opened} and {@code alert.resolved} events the committed change amounts to,
 * for the insights topic. Alert transitions are the difference between the stored alerts and the verdict's, so a
 * replayed or redelivered batch repeats none.
 */
@ApplicationScoped
public class VerdictStore {

    /** Message prefix of an alert that a replay of the complete history no longer raises. */
    public static final String WITHDRAWN = "withdrawn:";
    static final String WITHDRAWN_MESSAGE = WITHDRAWN + " not raised by the complete history";

    @Inject
    Pool pool;

    /** Stores the verdicts in one transaction; yields the insight events of what changed, once committed. */
    public Uni<List<TrainwatchEvent>> save(List<RunVerdict> verdicts) {
        if (verdicts.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<TrainwatchEvent> outbox = new ArrayList<>();
        return pool.withTransaction(conn -> write(conn, verdicts, outbox)).map(ignored -> List.copyOf(outbox));
    }

    private Uni<Void> write(SqlConnection conn, List<RunVerdict> verdicts, List<TrainwatchEvent> outbox) {
        long[] last = {0};
        Integer[] keys = new Integer[verdicts.size()];
        Integer[] epochs = new Integer[verdicts.size()];
        String[] documents = new String[verdicts.size()];
        for (int i = 0; i < verdicts.size(); i++) {
            RunVerdict v = verdicts.get(i);
            keys[i] = v.run().runKey();
            epochs[i] = v.verdict().epoch() == null ? -1 : v.verdict().epoch();
            documents[i] = v.document().toString();
        }
        Integer[] runKeys = verdicts.stream().map(v -> v.run().runKey()).toArray(Integer[]::new);
        // Verdicts are derived from stored epochs: one lost with the last moments before a database crash is rebuilt
        // at start (AnalysisCatchUp), so their commit does not wait for its own WAL flush. Each live epoch then
        // costs one flush (its ingest's, which also flushes any verdict before it) instead of two.
        return conn.query("SET LOCAL synchronous_commit = off").execute()
                .chain(() -> conn.preparedQuery("INSERT INTO run_analysis (run_key, epoch, position, verdict) "
                                + "SELECT t.run_key, t.epoch, next_change_position(), t.verdict::jsonb "
                                + "FROM unnest($1::int4[], $2::int4[], $3::text[]) AS t(run_key, epoch, verdict) "
                                + "ON CONFLICT (run_key) DO UPDATE "
                                + "SET epoch = excluded.epoch, position = excluded.position, verdict = excluded.verdict, "
                                + "updated_at = now() RETURNING position")
                        .execute(Tuple.of(keys, epochs, documents)))
                .invoke(rows -> last[0] = Math.max(last[0], ChangeNotice.maxPosition(rows)))
                .chain(() -> conn.preparedQuery("SELECT run_key, alert_id, resolved_epoch FROM alerts WHERE run_key = ANY($1) "
                                + "AND (message IS NULL OR message NOT LIKE '" + WITHDRAWN + "%')")
                        .execute(Tuple.of(runKeys)))
                .chain(stored -> {
                    Map<Integer, Map<String, Integer>> known = new HashMap<>();
                    Map<Integer, Set<String>> present = new HashMap<>();
                    for (Row r : stored) {
                        known.computeIfAbsent(r.getInteger("run_key"), k -> new HashMap<>())
                                .put(r.getString("alert_id"), r.getInteger("resolved_epoch"));
                        present.computeIfAbsent(r.getInteger("run_key"), k -> new HashSet<>()).add(r.getString("alert_id"));
                    }
                    List<Tuple> upserts = new ArrayList<>();
                    List<Tuple> deletes = new ArrayList<>();
                    List<Tuple> withdrawals = new ArrayList<>();
                    for (RunVerdict v : verdicts) {
                        outbox.add(analysisUpdated(v));
                        int key = v.run().runKey();
                        Map<String, Integer> before = known.getOrDefault(key, Map.of());
                        Set<String> seen = new HashSet<>();
                        for (Alert a : v.alerts()) {
                            seen.add(a.id());
                            boolean exists = present.getOrDefault(key, Set.of()).contains(a.id());
                            Integer storedResolved = before.get(a.id());
                            if (!exists) {
                                outbox.add(opened(v.run().id(), a));
                                if (a.resolvedEpoch() != null) {
                                    outbox.add(resolved(v.run().id(), a, a.resolvedEpoch()));
                                }
                            } else if (storedResolved == null && a.resolvedEpoch() != null) {
                                outbox.add(resolved(v.run().id(), a, a.resolvedEpoch()));
                            } else if (storedResolved != null && a.resolvedEpoch() == null) {
                                outbox.add(opened(v.run().id(), a));
                            } else {
                                continue;
                            }
                            upserts.add(Tuple.from(Arrays.asList(key, a.id(), a.kind(), a.severity(), a.openedEpoch(),
                                    a.resolvedEpoch(), a.message())));
                        }
                        // After a replay, alerts the data does not raise were artefacts of an incomplete history:
                        // they stay, resolved and marked withdrawn, with a new position, so SSE clients and alert
                        // readers learn of it as they learnt of the alert; Kafka readers get an alert.resolved.
                        Integer epoch = v.verdict().epoch();
                        if (v.rebuilt()) {
                            for (Map.Entry<String, Integer> e : before.entrySet()) {
                                if (!seen.contains(e.getKey())) {
                                    if (e.getValue() == null && epoch == null) {
                                        deletes.add(Tuple.of(key, e.getKey()));
                                        continue;
                                    }
                                    withdrawals.add(Tuple.of(key, e.getKey(), e.getValue() != null ? e.getValue() : epoch,
                                            WITHDRAWN_MESSAGE));
                                    if (e.getValue() == null) {
                                        outbox.add(new AlertResolved(1, v.run().id(), e.getKey(), null, null, null, epoch,
                                                WITHDRAWN_MESSAGE));
                                    }
                                }
                            }
                        }
                    }
                    Uni<Void> deleted = (deletes.isEmpty() ? Uni.createFrom().voidItem()
                            : conn.preparedQuery("DELETE FROM alerts WHERE run_key = $1 AND alert_id = $2")
                                    .executeBatch(deletes).replaceWithVoid())
                            .chain(() -> withdrawals.isEmpty() ? Uni.createFrom().voidItem()
                                    : conn.preparedQuery("UPDATE alerts SET resolved_epoch = $3, message = $4, "
                                                    + "position = next_change_position() "
                                                    + "WHERE run_key = $1 AND alert_id = $2 RETURNING position")
                                            .executeBatch(withdrawals)
                                            .invoke(rows -> last[0] = Math.max(last[0], ChangeNotice.maxPosition(rows)))
                                            .replaceWithVoid());
                    if (upserts.isEmpty()) {
                        return deleted;
                    }
                    return deleted.chain(() -> conn.preparedQuery("INSERT INTO alerts (run_key, alert_id, kind, severity, opened_epoch, "
                                    + "resolved_epoch, message, position) VALUES ($1, $2, coalesce($3, '?'), coalesce($4, 'info'), "
                                    + "$5, $6, $7, next_change_position()) ON CONFLICT (run_key, alert_id) DO UPDATE SET "
                                    + "resolved_epoch = excluded.resolved_epoch, message = excluded.message, position = excluded.position "
                                    + "RETURNING position")
                            .executeBatch(upserts)
                            .invoke(rows -> last[0] = Math.max(last[0], ChangeNotice.maxPosition(rows)))
                            .replaceWithVoid());
                })
                .chain(() -> ChangeNotice.send(conn, last[0]));
    }

    private static AnalysisUpdated analysisUpdated(RunVerdict v) {
        Verdict.Recommendation rec = v.verdict().recommendation();
        return new AnalysisUpdated(1, v.run().id(), v.verdict().epoch() == null ? 0 : v.verdict().epoch(),
                rec == null ? null : rec.action(), rec == null ? null : rec.confidence(), v.document());
    }

    private static AlertOpened opened(String runId, Alert a) {
        return new AlertOpened(1, runId, a.id(), a.kind(), Severity.fromWire(a.severity()), a.openedEpoch(), a.message());
    }

    private static AlertResolved resolved(String runId, Alert a, int epoch) {
        return new AlertResolved(1, runId, a.id(), a.kind(), Severity.fromWire(a.severity()), a.openedEpoch(), epoch,
                a.message());
    }
}
