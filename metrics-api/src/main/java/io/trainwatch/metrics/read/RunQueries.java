package io.trainwatch.metrics.read;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.store.Rows;
import io.trainwatch.metrics.store.RunRow;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Reads behind REST and SSE. Every method is one round trip. */
@ApplicationScoped
public class RunQueries {

    static final String EPOCH_SELECT = "epoch, global_step, emitted_at, train_loss, val_loss, train_accuracy, val_accuracy, "
            + "learning_rate, duration_ms, samples_per_second, grad_norm, grad_norm_max, metrics, param_norm, "
            + "clipped_steps, memory_bytes";

    @Inject
    Pool pool;

    @Inject
    Rows rowMapper;

    public Uni<Optional<RunRow>> run(String runId) {
        return run(pool, runId);
    }

    /** The run, read through {@code client} (a pool, or a connection inside a snapshot). */
    public Uni<Optional<RunRow>> run(SqlClient client, String runId) {
        return client.preparedQuery("SELECT " + Rows.RUN_COLUMNS + " FROM runs WHERE id = $1").execute(Tuple.of(runId))
                .map(rs -> rs.rowCount() == 0 ? Optional.empty() : Optional.of(rowMapper.runRow(rs.iterator().next())));
    }

    public Uni<List<RunRow>> runs(List<String> runIds) {
        return pool.preparedQuery("SELECT " + Rows.RUN_COLUMNS + " FROM runs WHERE id = ANY($1)")
                .execute(Tuple.of(runIds.toArray(String[]::new)))
                .map(rs -> {
                    List<RunRow> out = new ArrayList<>();
                    rs.forEach(r -> out.add(rowMapper.runRow(r)));
                    return out;
                });
    }

    /**
     * Runs, newest first, filtered; {@code beforeKey} is the cursor (run keys grow with creation). Returns up to
     * {@code limit + 1} rows so the caller knows whether there is a next page. {@code projects}, when not null, limits
     * the list to those projects (a project-limited token's view).
     */
    public Uni<List<RunRow>> list(String status, String project, String tag, Integer beforeKey, int limit,
                                  List<String> projects) {
        return pool.preparedQuery("SELECT " + Rows.RUN_COLUMNS + " FROM runs WHERE ($1::text IS NULL OR status = $1) "
                        + "AND ($2::text IS NULL OR project = $2) AND ($3::text IS NULL OR $3 = ANY(tags)) "
                        + "AND ($4::int4 IS NULL OR run_key < $4) AND ($6::text[] IS NULL OR project = ANY($6)) "
                        + "ORDER BY run_key DESC LIMIT $5")
                .execute(Tuple.from(Arrays.asList(status, project, tag, beforeKey, limit + 1,
                        projects == null ? null : projects.toArray(String[]::new))))
                .map(rs -> {
                    List<RunRow> out = new ArrayList<>();
                    rs.forEach(r -> out.add(rowMapper.runRow(r)));
                    return out;
                });
    }

    /** The run's epochs with epoch greater than {@code sinceEpoch} (all when null), ascending. */
    public Uni<List<EpochRow>> epochs(RunRow run, Long sinceEpoch) {
        return epochs(pool, run, sinceEpoch);
    }

    /** {@link #epochs(RunRow, Long)} read through {@code client}. */
    public Uni<List<EpochRow>> epochs(SqlClient client, RunRow run, Long sinceEpoch) {
        long since = sinceEpoch == null ? -1 : Math.max(-1, Math.min(sinceEpoch, Integer.MAX_VALUE));
        return client.preparedQuery("SELECT " + EPOCH_SELECT + " FROM epoch_metrics WHERE run_key = $1 AND epoch > $2 "
                        + "ORDER BY epoch")
                .execute(Tuple.of(run.runKey(), (int) since))
                .map(rs -> {
                    List<EpochRow> out = new ArrayList<>(rs.size());
                    rs.forEach(r -> out.add(Rows.epochRow(r, run.metricNames())));
                    return out;
                });
    }

    /** Mean duration of the run's last (up to) ten epochs that reported one, for the ETA. */
    public Uni<Optional<Double>> recentEpochDurationMs(int runKey) {
        return pool.preparedQuery("SELECT avg(duration_ms)::float8 FROM (SELECT duration_ms FROM epoch_metrics "
                        + "WHERE run_key = $1 AND duration_ms IS NOT NULL ORDER BY epoch DESC LIMIT 10) recent")
                .execute(Tuple.of(runKey))
                .map(rs -> Optional.ofNullable(rs.iterator().next().getDouble(0)));
    }

    public Uni<Optional<EpochRow>> latestEpoch(RunRow run) {
        return pool.preparedQuery("SELECT " + EPOCH_SELECT + " FROM epoch_metrics WHERE run_key = $1 "
                        + "ORDER BY epoch DESC LIMIT 1")
                .execute(Tuple.of(run.runKey()))
                .map(rs -> rs.rowCount() == 0 ? Optional.empty()
                        : Optional.of(Rows.epochRow(rs.iterator().next(), run.metricNames())));
    }

    /** The run's sampled steps with global step greater than {@code sinceStep} (all when null), ascending. */
    public Uni<List<StepRow>> steps(RunRow run, Long sinceStep) {
        return steps(pool, run, sinceStep);
    }

    /** {@link #steps(RunRow, Long)} read through {@code client}. */
    public Uni<List<StepRow>> steps(SqlClient client, RunRow run, Long sinceStep) {
        return client.preparedQuery("SELECT global_step, epoch, emitted_at, loss, learning_rate, grad_norm FROM step_samples "
                        + "WHERE run_key = $1 AND global_step > $2 ORDER BY global_step")
                .execute(Tuple.of(run.runKey(), sinceStep == null ? -1L : sinceStep))
                .map(rs -> {
                    List<StepRow> out = new ArrayList<>(rs.size());
                    rs.forEach(r -> out.add(new StepRow(r.getLong("global_step"), r.getInteger("epoch"),
                            Rows.instant(r.getOffsetDateTime("emitted_at")), r.getDouble("loss"), r.getDouble("learning_rate"),
                            r.getDouble("grad_norm"))));
                    return out;
                });
    }

    /**
     * Runs {@code work} in one read-only REPEATABLE READ transaction: every statement sees the same snapshot, so a
     * run's change positions and the history rows read with them describe the same moment.
     */
    public <T> Uni<T> inSnapshot(Function<SqlConnection, Uni<T>> work) {
        return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute().chain(() -> work.apply(conn)));
    }

    /** The history positions of {@code runKeys}: one indexed lookup. */
    public Uni<List<long[]>> historyPositions(int[] runKeys) {
        Integer[] keys = Arrays.stream(runKeys).boxed().toArray(Integer[]::new);
        return pool.preparedQuery("SELECT run_key, epochs_position, steps_position FROM runs WHERE run_key = ANY($1)")
                .execute(Tuple.of(keys))
                .map(rs -> {
                    List<long[]> out = new ArrayList<>(rs.size());
                    rs.forEach(r -> out.add(new long[] {r.getInteger(0), r.getLong(1), r.getLong(2)}));
                    return out;
                });
    }
}
