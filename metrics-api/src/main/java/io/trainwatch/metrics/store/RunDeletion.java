package io.trainwatch.metrics.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SQL of run deletion, in one place: removing runs with their epochs, steps, verdict and alerts in one
 * transaction, leaving a {@code run_deletions} row whose change position tells SSE (status {@code deleted}); finding
 * finished runs older than the retention; purging old deletion rows.
 */
@ApplicationScoped
public class RunDeletion {

    /** A deleted run, as the feed and the insights tombstone need it. */
    public record Deleted(String id, String project) {
    }

    private static final String[] CHILD_TABLES = {"epoch_metrics", "step_samples", "run_analysis", "alerts"};

    @Inject
    Pool pool;

    /**
     * Deletes the runs (unknown ids are skipped) and everything stored for them, in one transaction; returns the runs
     * that were deleted. No lock but the rows': a deletion waits for an ingest transaction that holds the run's row,
     * and ingest, which looks for deletions once it holds its rows, drops the run of a deletion committed before.
     */
    public Uni<List<Deleted>> delete(List<String> runIds) {
        if (runIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        String[] ids = runIds.toArray(String[]::new);
        return pool.withTransaction(conn -> conn.preparedQuery("DELETE FROM runs WHERE id = ANY($1) RETURNING run_key, id, project")
                .execute(Tuple.of((Object) ids))
                .chain(rows -> {
                    if (rows.rowCount() == 0) {
                        return Uni.createFrom().item(List.<Deleted>of());
                    }
                    List<Integer> keys = new ArrayList<>();
                    List<Deleted> deleted = new ArrayList<>();
                    for (Row r : rows) {
                        keys.add(r.getInteger("run_key"));
                        deleted.add(new Deleted(r.getString("id"), r.getString("project")));
                    }
                    return deleteChildren(conn, keys.toArray(Integer[]::new))
                            .chain(() -> recordDeletions(conn, deleted));
                }));
    }

    /**
     * Removes runs by key with everything stored for them, inside the caller's transaction: ingest uses it for a run
     * its batch created again after the run's deletion.
     */
    static Uni<Void> deleteRows(SqlConnection conn, Integer[] keys) {
        return conn.preparedQuery("DELETE FROM runs WHERE run_key = ANY($1)").execute(Tuple.of((Object) keys))
                .chain(() -> deleteChildren(conn, keys));
    }

    private static Uni<Void> deleteChildren(SqlConnection conn, Integer[] keys) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String table : CHILD_TABLES) {
            chain = chain.chain(() -> conn.preparedQuery("DELETE FROM " + table + " WHERE run_key = ANY($1)")
                    .execute(Tuple.of((Object) keys)).replaceWithVoid());
        }
        return chain;
    }

    /**
     * A {@code run_deletions} row per run, its position drawn like every other change (V30's
     * {@code next_change_position()}), then the one notification {@link ChangeNotice} sends for a write.
     */
    private static Uni<List<Deleted>> recordDeletions(SqlConnection conn, List<Deleted> deleted) {
        String[] ids = deleted.stream().map(Deleted::id).toArray(String[]::new);
        String[] projects = deleted.stream().map(Deleted::project).toArray(String[]::new);
        return conn.preparedQuery("INSERT INTO run_deletions (id, project, position) "
                        + "SELECT t.id, t.project, next_change_position() FROM unnest($1::text[], $2::text[]) AS t(id, project) "
                        + "ON CONFLICT (id) DO UPDATE SET project = excluded.project, position = excluded.position, "
                        + "deleted_at = now() RETURNING position")
                .execute(Tuple.of(ids, projects))
                .chain(rows -> ChangeNotice.send(conn, ChangeNotice.maxPosition(rows)))
                .replaceWith(deleted);
    }

    /**
     * Up to {@code limit} ids of finished runs that ended longer ago than their project's retention:
     * {@code perProject} (project → days) where it names the run's project, else {@code defaultDays}; 0 keeps forever.
     * A run's end is its {@code finished_at}.
     */
    public Uni<List<String>> expired(int defaultDays, Map<String, Integer> perProject, int limit) {
        String[] projects = perProject.keySet().toArray(String[]::new);
        Integer[] days = perProject.keySet().stream().map(perProject::get).toArray(Integer[]::new);
        return pool.preparedQuery("SELECT r.id FROM runs r "
                        + "LEFT JOIN unnest($2::text[], $3::int4[]) AS o(project, days) ON o.project = r.project "
                        + "WHERE r.status = ANY($5) "
                        + "AND coalesce(o.days, $1) > 0 "
                        + "AND r.finished_at < now() - make_interval(days => coalesce(o.days, $1)) "
                        + "ORDER BY r.finished_at LIMIT $4")
                .execute(Tuple.from(java.util.Arrays.asList(defaultDays, projects, days, limit,
                        RunRow.TERMINAL.toArray(String[]::new))))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getString(0)));
                    return ids;
                });
    }

    /** Of {@code runIds}, those that were deleted (and not stored again since): ingest drops their late events. */
    public static Uni<List<String>> deletedAmong(SqlConnection conn, String[] runIds) {
        return conn.preparedQuery("SELECT id FROM run_deletions WHERE id = ANY($1)").execute(Tuple.of((Object) runIds))
                .map(RunDeletion::ids);
    }

    /** Deletion rows older than {@code retention}: after that, an event of a deleted run creates it again. */
    public Uni<Integer> purge(Duration retention) {
        return pool.preparedQuery("DELETE FROM run_deletions WHERE deleted_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) retention.toSeconds()))
                .map(RowSet::rowCount);
    }

    /** The SQL that reads deletions with positions in (after, upTo] as SSE events; {@code r.id} filters by run. */
    public static final String CHANGES = "SELECT r.position, r.id, r.project FROM run_deletions r "
            + "WHERE r.position > $1 AND r.position <= $2";

    private static List<String> ids(RowSet<Row> rows) {
        List<String> ids = new ArrayList<>();
        rows.forEach(r -> ids.add(r.getString(0)));
        return ids;
    }
}
