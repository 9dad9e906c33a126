package io.trainwatch.metrics.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunHeartbeat;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.StepSampled;
import io.trainwatch.contracts.TrainwatchEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes run events: one transaction per Kafka batch, a handful of set-based statements whatever the batch size
 * (unnest arrays into INSERT … ON CONFLICT), then one pg_notify with the last change position. Idempotent: epochs
 * and steps upsert on their key and skip rows whose values did not change; run.started and run.finished are applied
 * once per ce_id.
 *
 * <p>Change positions come from {@code next_change_position()} / {@code change_positions(n)} (migration V30): they
 * are derived from the writing transaction's id, so no transaction waits for another to draw them, and readers serve
 * them only below {@code change_horizon()} (see docs/architecture.md "Change positions").
 */
@ApplicationScoped
public class RunStore {

    private static final String EPOCH_COLUMNS = "global_step, emitted_at, train_loss, val_loss, train_accuracy, "
            + "val_accuracy, learning_rate, samples_per_second, grad_norm, grad_norm_max, param_norm, duration_ms, "
            + "memory_bytes, clipped_steps, metrics";

    // One reservation for all rows (a materialised CTE runs once), not one function call per row.
    private static final String UPSERT_EPOCHS = "WITH p AS MATERIALIZED (SELECT change_positions($18) AS first) "
            + "INSERT INTO epoch_metrics (position, run_key, epoch, " + EPOCH_COLUMNS + ") "
            + "SELECT p.first + t.n - 1, t.run_key, t.epoch, " + prefixed("t", EPOCH_COLUMNS) + " FROM p, "
            + "unnest($1::int4[], $2::int4[], $3::int8[], $4::timestamptz[], "
            + "$5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], "
            + "$12::float8[], $13::float8[], $14::int8[], $15::int8[], $16::int4[], $17::bytea[]) WITH ORDINALITY "
            + "AS t(run_key, epoch, " + EPOCH_COLUMNS + ", n) "
            + "ON CONFLICT (run_key, epoch) DO UPDATE SET position = excluded.position, "
            + set(EPOCH_COLUMNS) + " WHERE (" + prefixed("epoch_metrics", EPOCH_COLUMNS) + ") IS DISTINCT FROM ("
            + prefixed("excluded", EPOCH_COLUMNS) + ") RETURNING run_key, epoch, position, (xmax = 0) AS inserted";

    private static final String STEP_COLUMNS = "epoch, emitted_at, loss, learning_rate, grad_norm";

    private static final String UPSERT_STEPS = "INSERT INTO step_samples (run_key, global_step, " + STEP_COLUMNS + ") "
            + "SELECT * FROM unnest($1::int4[], $2::int8[], $3::int4[], $4::timestamptz[], $5::float8[], $6::float8[], "
            + "$7::float8[]) ON CONFLICT (run_key, global_step) DO UPDATE SET " + set(STEP_COLUMNS)
            + " WHERE (" + prefixed("step_samples", STEP_COLUMNS) + ") IS DISTINCT FROM (" + prefixed("excluded", STEP_COLUMNS)
            + ") RETURNING run_key, (xmax = 0) AS inserted";

    @Inject
    Pool pool;

    @Inject
    ObjectMapper mapper;

    /** Stores one batch of decoded events, in one transaction. Events are in partition order. */
    public Uni<StoredBatch> store(List<EventEnvelope> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(StoredBatch.EMPTY);
        }
        return pool.withTransaction(conn -> new BatchWrite(conn, events).run());
    }

    /**
     * Marks a run as cancelling (unless it already ended) and notifies SSE. False when the run is unknown or already
     * ended (run.finished won the race).
     */
    public Uni<Boolean> markCancelling(String runId, String reason, String requestedBy) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE runs SET status = 'cancelling', cancel_reason = $2, "
                                + "cancel_requested_by = $3, cancel_requested_at = now(), "
                                + "status_position = next_change_position(), updated_at = now() "
                                + "WHERE id = $1 AND status IN ('queued', 'running', 'stalled', 'cancelling', 'cancel_unconfirmed') "
                                + "RETURNING status_position")
                        .execute(Tuple.of(runId, reason, requestedBy))
                .chain(rows -> {
                    if (rows.rowCount() == 0) {
                        return Uni.createFrom().item(false);
                    }
                    long position = rows.iterator().next().getLong(0);
                    return ChangeNotice.send(conn, position).replaceWith(true);
                }));
    }

    /**
     * Runs {@code cancelling} for longer than {@code limit} (no trainer confirmed with run.finished) become
     * {@code cancel_unconfirmed}, with a status change for SSE. The cancel itself stays as it was. Returns their ids.
     */
    public Uni<List<String>> markCancelUnconfirmed(java.time.Duration limit) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE runs SET status = 'cancel_unconfirmed', "
                                + "status_position = next_change_position(), updated_at = now() "
                                + "WHERE status = 'cancelling' AND cancel_requested_at < now() - make_interval(secs => $1) "
                                + "RETURNING id, status_position")
                        .execute(Tuple.of(limit.toMillis() / 1000.0))
                .chain(rows -> changedRuns(conn, rows)));
    }

    /**
     * Running runs silent (no stored event or heartbeat, {@code updated_at}) for longer than their limit become
     * {@code stalled}, with a status change for SSE: the run's own {@code monitor.stall_after_seconds} (run.started)
     * when it set one, else max({@code paces} × the median of their last 20 epoch durations, {@code floor}). Returns
     * their ids. Ingest turns them back to {@code running} when they send again.
     */
    public Uni<List<String>> markStalled(java.time.Duration floor, int paces) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE runs r SET status = 'stalled', "
                                + "status_position = next_change_position(), updated_at = now() "
                                + "WHERE r.status = 'running' AND r.updated_at < now() - make_interval(secs => "
                                + "coalesce((r.started #>> '{monitor,stall_after_seconds}')::float8, greatest($1, "
                                + "$2 * coalesce((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.duration_ms::float8) "
                                + "FROM (SELECT duration_ms FROM epoch_metrics e WHERE e.run_key = r.run_key "
                                + "AND e.duration_ms IS NOT NULL ORDER BY e.epoch DESC LIMIT 20) d), 0) / 1000.0))) "
                                + "RETURNING id, status_position")
                        .execute(Tuple.of(floor.toMillis() / 1000.0, paces))
                .chain(rows -> changedRuns(conn, rows)));
    }

    /** The ids of runs whose status an update changed ({@code RETURNING id, status_position}); notifies SSE once. */
    private static Uni<List<String>> changedRuns(SqlConnection conn, RowSet<Row> rows) {
        List<String> ids = new ArrayList<>();
        long max = 0;
        for (Row r : rows) {
            ids.add(r.getString("id"));
            max = Math.max(max, r.getLong("status_position"));
        }
        return ids.isEmpty() ? Uni.createFrom().item(ids) : ChangeNotice.send(conn, max).replaceWith(ids);
    }

    /** Deletes processed-event ids older than the retention; run-level redeliveries older than that are re-applied. */
    public Uni<Integer> purgeProcessedEvents(java.time.Duration retention) {
        return pool.preparedQuery("DELETE FROM processed_events WHERE processed_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) retention.toSeconds()))
                .map(RowSet::rowCount);
    }

    /** The state of one batch write, step by step. */
    private final class BatchWrite {
        private final SqlConnection conn;
        private List<EventEnvelope> events;
        private final Map<String, RunRef> runs = new HashMap<>();
        private final Set<String> freshRunLevelIds = new HashSet<>();
        private final Map<String, List<EpochCompleted>> changedEpochs = new TreeMap<>();
        private final Set<String> startedRuns = new HashSet<>();
        private final Set<String> outOfOrder = new HashSet<>();
        private final Set<String> resumed = new HashSet<>();
        /** Runs this batch created, with their first status position (counted once they are known not deleted). */
        private final Map<String, Long> createdPositions = new HashMap<>();
        private long lastPosition;

        BatchWrite(SqlConnection conn, List<EventEnvelope> events) {
            this.conn = conn;
            this.events = events;
        }

        Uni<StoredBatch> run() {
            return dedupeRunLevel()
                    .chain(this::ensureRuns)
                    .chain(this::dropDeletedRuns)
                    .chain(this::applyStarted)
                    .chain(this::upsertEpochs)
                    .chain(this::upsertSteps)
                    .chain(this::updateRunAggregates)
                    .chain(this::applyFinished)
                    .chain(() -> lastPosition > 0 ? ChangeNotice.send(conn, lastPosition) : Uni.createFrom().voidItem())
                    .map(ignored -> {
                        Map<String, Integer> previous = new HashMap<>();
                        runs.forEach((id, ref) -> {
                            if (ref.previousLatestEpoch != null) {
                                previous.put(id, ref.previousLatestEpoch);
                            }
                        });
                        return new StoredBatch(lastPosition, changedEpochs, previous, outOfOrder, startedRuns, resumed);
                    });
        }

        private void seen(long position) {
            lastPosition = Math.max(lastPosition, position);
        }

        /**
         * Late events of a deleted run (e.g. the trainer's run.finished after the delete's cancel) are dropped. Checked
         * once the runs' rows are locked, so that a deletion committed at any moment before is seen (each statement
         * reads the latest commits): a run whose row vanished while we waited for its lock, or that this
         * transaction created again after its deletion, is dropped, and a row created again is removed.
         */
        private Uni<Void> dropDeletedRuns() {
            String[] ids = events.stream().map(e -> e.event().runId()).distinct().toArray(String[]::new);
            return RunDeletion.deletedAmong(conn, ids).chain(deleted -> {
                Set<String> gone = new HashSet<>(deleted);
                for (String id : ids) {
                    if (!runs.containsKey(id)) {
                        gone.add(id);
                    }
                }
                createdPositions.forEach((id, position) -> {
                    if (!gone.contains(id)) {
                        seen(position);
                    }
                });
                if (gone.isEmpty()) {
                    return Uni.createFrom().voidItem();
                }
                events = events.stream().filter(e -> !gone.contains(e.event().runId())).toList();
                Integer[] recreated = gone.stream().map(runs::remove).filter(java.util.Objects::nonNull)
                        .map(ref -> ref.runKey).toArray(Integer[]::new);
                return recreated.length == 0 ? Uni.createFrom().voidItem() : RunDeletion.deleteRows(conn, recreated);
            });
        }

        private Uni<Void> dedupeRunLevel() {
            List<String> ids = new ArrayList<>();
            for (EventEnvelope e : events) {
                if (e.event() instanceof RunStarted || e.event() instanceof RunFinished) {
                    ids.add(e.ceId());
                }
            }
            if (ids.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            return conn.preparedQuery("INSERT INTO processed_events (ce_id) SELECT unnest($1::text[]) "
                            + "ON CONFLICT DO NOTHING RETURNING ce_id")
                    .execute(Tuple.of(ids.toArray(String[]::new)))
                    .invoke(rows -> rows.forEach(r -> freshRunLevelIds.add(r.getString(0))))
                    .replaceWithVoid();
        }

        private boolean applies(EventEnvelope e) {
            if (e.event() instanceof RunStarted || e.event() instanceof RunFinished) {
                // The first envelope with a fresh id applies; a duplicate inside the batch does not.
                return freshRunLevelIds.remove(e.ceId());
            }
            return true;
        }

        /**
         * Creates the runs that do not exist and locks every run's row. Live traffic writes to runs that exist: they
         * are locked in one round trip, and only missing ones cost an insert and a second lock.
         */
        private Uni<Void> ensureRuns() {
            String[] ids = events.stream().map(e -> e.event().runId()).distinct().toArray(String[]::new);
            return lockRuns(ids).chain(() -> {
                String[] missing = Arrays.stream(ids).filter(id -> !runs.containsKey(id)).toArray(String[]::new);
                if (missing.length == 0) {
                    return Uni.createFrom().voidItem();
                }
                return conn.preparedQuery("INSERT INTO runs (id, status_position) SELECT id, next_change_position() "
                                + "FROM unnest($1::text[]) AS t(id) ON CONFLICT (id) DO NOTHING RETURNING id, status_position")
                        .execute(Tuple.of(missing))
                        .invoke(rows -> rows.forEach(r -> createdPositions.put(r.getString(0), r.getLong(1))))
                        .chain(() -> lockRuns(missing));
            });
        }

        // NO KEY UPDATE: exclusive against other ingest transactions and deletions of the run, as needed, but not
        // against the key-share locks that the foreign keys of verdict and alert writes take on the run's row;
        // FOR UPDATE made every ingest of a run wait for the commit of its last verdict.
        private Uni<Void> lockRuns(String[] ids) {
            return conn.preparedQuery("SELECT run_key, id, latest_epoch, metric_names, status FROM runs "
                            + "WHERE id = ANY($1) FOR NO KEY UPDATE").execute(Tuple.of((Object) ids))
                    .invoke(rows -> {
                        for (Row r : rows) {
                            runs.put(r.getString("id"), new RunRef(r.getInteger("run_key"), r.getInteger("latest_epoch"),
                                    new ArrayList<>(Arrays.asList(r.getArrayOfStrings("metric_names"))),
                                    "stalled".equals(r.getString("status"))));
                        }
                    })
                    .replaceWithVoid();
        }

        private Uni<Void> applyStarted() {
            // Run-level events are applied in order; their applicability is decided once, here and in applyFinished.
            List<Tuple> tuples = new ArrayList<>();
            for (EventEnvelope e : events) {
                if (e.event() instanceof RunStarted s && applies(e)) {
                    startedRuns.add(s.runId());
                    tuples.add(Tuple.from(Arrays.asList(runs.get(s.runId()).runKey, s.name(), s.project(),
                            s.tags() == null ? null : s.tags().toArray(String[]::new), startedDocument(s),
                            odt(s.startedAt()), s.totalEpochs())));
                }
            }
            if (tuples.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            return conn.preparedQuery("UPDATE runs SET name = coalesce($2, name), project = coalesce($3, project), "
                            + "tags = coalesce($4::text[], tags), started = coalesce($5::text::jsonb, started), "
                            + "started_at = coalesce($6, started_at), total_epochs = coalesce($7, total_epochs), "
                            + "status_position = next_change_position(), updated_at = now() "
                            + "WHERE run_key = $1 RETURNING status_position")
                    .executeBatch(tuples)
                    .invoke(this::seenAll)
                    .replaceWithVoid();
        }

        private void seenAll(RowSet<Row> rows) {
            for (RowSet<Row> rs = rows; rs != null; rs = rs.next()) {
                for (Row r : rs) {
                    seen(r.getLong(0));
                }
            }
        }

        private Uni<Void> upsertEpochs() {
            // Last one wins for the same (run, epoch) inside a batch: ON CONFLICT may touch a row only once per statement.
            Map<String, EpochCompleted> latest = new LinkedHashMap<>();
            for (EventEnvelope e : events) {
                if (e.event() instanceof EpochCompleted ec) {
                    latest.remove(ec.runId() + '\0' + ec.epoch());
                    latest.put(ec.runId() + '\0' + ec.epoch(), ec);
                }
            }
            if (latest.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            int n = latest.size();
            Integer[] runKey = new Integer[n];
            Integer[] epoch = new Integer[n];
            Long[] globalStep = new Long[n];
            OffsetDateTime[] emittedAt = new OffsetDateTime[n];
            Double[][] d = new Double[9][n];
            Long[] durationMs = new Long[n];
            Long[] memoryBytes = new Long[n];
            Integer[] clipped = new Integer[n];
            Buffer[] metrics = new Buffer[n];
            int i = 0;
            for (EpochCompleted ec : latest.values()) {
                RunRef ref = runs.get(ec.runId());
                Map<String, Double> qualified = MetricVector.qualify(ec.layerGradNorms(), ec.extra());
                ref.namesChanged |= MetricVector.extendNames(ref.metricNames, qualified);
                ref.totalEpochs = ec.totalEpochs() != null ? ec.totalEpochs() : ref.totalEpochs;
                runKey[i] = ref.runKey;
                epoch[i] = ec.epoch();
                globalStep[i] = ec.globalStep();
                emittedAt[i] = odt(ec.emittedAt());
                d[0][i] = ec.trainLoss();
                d[1][i] = ec.valLoss();
                d[2][i] = ec.trainAccuracy();
                d[3][i] = ec.valAccuracy();
                d[4][i] = ec.learningRate();
                d[5][i] = ec.samplesPerSecond();
                d[6][i] = ec.gradNorm();
                d[7][i] = ec.gradNormMax();
                d[8][i] = ec.paramNorm();
                durationMs[i] = ec.durationMs();
                memoryBytes[i] = ec.memoryBytes();
                clipped[i] = ec.clippedSteps();
                metrics[i] = buffer(MetricVector.pack(ref.metricNames, qualified));
                i++;
            }
            Map<String, EpochCompleted> byRunEpoch = new HashMap<>();
            latest.values().forEach(ec -> byRunEpoch.put(ec.runId() + '\0' + ec.epoch(), ec));
            Map<Integer, String> idByKey = new HashMap<>();
            runs.forEach((id, ref) -> idByKey.put(ref.runKey, id));
            return conn.preparedQuery(UPSERT_EPOCHS)
                    .execute(Tuple.from(Arrays.asList(runKey, epoch, globalStep, emittedAt, d[0], d[1], d[2], d[3], d[4],
                            d[5], d[6], d[7], d[8], durationMs, memoryBytes, clipped, metrics, n)))
                    .invoke(rows -> {
                        for (Row r : rows) {
                            String id = idByKey.get(r.getInteger("run_key"));
                            RunRef ref = runs.get(id);
                            int e = r.getInteger("epoch");
                            long position = r.getLong("position");
                            seen(position);
                            ref.epochsPosition = Math.max(ref.epochsPosition, position);
                            if (r.getBoolean("inserted")) {
                                ref.epochsInserted++;
                            }
                            if (ref.previousLatestEpoch != null && e <= ref.previousLatestEpoch) {
                                outOfOrder.add(id);
                            }
                            ref.maxEpoch = ref.maxEpoch == null ? e : Math.max(ref.maxEpoch, e);
                            changedEpochs.computeIfAbsent(id, k -> new ArrayList<>()).add(byRunEpoch.get(id + '\0' + e));
                        }
                        changedEpochs.values().forEach(list -> list.sort(java.util.Comparator.comparing(EpochCompleted::epoch)));
                    })
                    .replaceWithVoid();
        }

        private Uni<Void> upsertSteps() {
            Map<String, StepSampled> latest = new LinkedHashMap<>();
            for (EventEnvelope e : events) {
                if (e.event() instanceof StepSampled s) {
                    latest.remove(s.runId() + '\0' + s.globalStep());
                    latest.put(s.runId() + '\0' + s.globalStep(), s);
                }
            }
            if (latest.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            int n = latest.size();
            Integer[] runKey = new Integer[n];
            Long[] globalStep = new Long[n];
            Integer[] epoch = new Integer[n];
            OffsetDateTime[] emittedAt = new OffsetDateTime[n];
            Double[] loss = new Double[n];
            Double[] lr = new Double[n];
            Double[] gradNorm = new Double[n];
            int i = 0;
            for (StepSampled s : latest.values()) {
                runKey[i] = runs.get(s.runId()).runKey;
                globalStep[i] = s.globalStep();
                epoch[i] = s.epoch();
                emittedAt[i] = odt(s.emittedAt());
                loss[i] = s.loss();
                lr[i] = s.learningRate();
                gradNorm[i] = s.gradNorm();
                i++;
            }
            Map<Integer, RunRef> byKey = new HashMap<>();
            runs.values().forEach(ref -> byKey.put(ref.runKey, ref));
            return conn.preparedQuery(UPSERT_STEPS)
                    .execute(Tuple.from(Arrays.asList(runKey, globalStep, epoch, emittedAt, loss, lr, gradNorm)))
                    .invoke(rows -> {
                        for (Row r : rows) {
                            RunRef ref = byKey.get(r.getInteger("run_key"));
                            ref.stepsChanged++;
                            if (r.getBoolean("inserted")) {
                                ref.stepsInserted++;
                            }
                        }
                    })
                    .replaceWithVoid();
        }

        private Uni<Void> updateRunAggregates() {
            // A heartbeat carries nothing to store: it only makes its run one of those this update touches, which
            // refreshes updated_at (what the stall check reads) and turns a stalled run running.
            for (EventEnvelope e : events) {
                if (e.event() instanceof RunHeartbeat h) {
                    runs.get(h.runId()).heartbeat = true;
                }
            }
            List<RunRef> touched = new ArrayList<>();
            List<Tuple> names = new ArrayList<>();
            for (Map.Entry<String, RunRef> e : runs.entrySet()) {
                RunRef ref = e.getValue();
                if (ref.maxEpoch != null || ref.stepsChanged > 0 || ref.totalEpochs != null || ref.heartbeat) {
                    touched.add(ref);
                    // The row is locked since ensureRuns, so the status read there is the one this update changes.
                    if (ref.wasStalled) {
                        resumed.add(e.getKey());
                    }
                }
                if (ref.namesChanged) {
                    names.add(Tuple.of(ref.runKey, ref.metricNames.toArray(String[]::new)));
                }
            }
            Uni<Void> namesWritten = names.isEmpty() ? Uni.createFrom().voidItem()
                    : conn.preparedQuery("UPDATE runs SET metric_names = $2 WHERE run_key = $1").executeBatch(names)
                            .replaceWithVoid();
            if (touched.isEmpty()) {
                return namesWritten;
            }
            int n = touched.size();
            Integer[] runKey = new Integer[n];
            Integer[] maxEpoch = new Integer[n];
            Integer[] inserted = new Integer[n];
            Long[] epochsPosition = new Long[n];
            Integer[] totalEpochs = new Integer[n];
            Integer[] stepsInserted = new Integer[n];
            Integer[] stepsChanged = new Integer[n];
            for (int i = 0; i < n; i++) {
                RunRef ref = touched.get(i);
                runKey[i] = ref.runKey;
                maxEpoch[i] = ref.maxEpoch;
                inserted[i] = ref.epochsInserted;
                epochsPosition[i] = ref.epochsPosition;
                totalEpochs[i] = ref.totalEpochs;
                stepsInserted[i] = ref.stepsInserted;
                stepsChanged[i] = ref.stepsChanged;
            }
            // One statement for every run of the batch. The steps position is drawn only when steps changed, so
            // step-only batches still invalidate step ETags. Both history positions only grow per run (ETags and the
            // replicas' run view merge them by maximum), also when a transaction with an older id writes after a
            // younger one: positions follow transaction ids, not commit order.
            return namesWritten.chain(() -> conn.preparedQuery("UPDATE runs r SET "
                            + "latest_epoch = greatest(r.latest_epoch, t.max_epoch), epoch_count = r.epoch_count + t.inserted, "
                            + "epochs_position = CASE WHEN t.epochs_position > 0 "
                            + "THEN greatest(r.epochs_position + 1, t.epochs_position) ELSE r.epochs_position END, "
                            + "total_epochs = coalesce(t.total_epochs, r.total_epochs), "
                            + "step_count = r.step_count + t.steps_inserted, "
                            + "steps_position = CASE WHEN t.steps_changed > 0 "
                            + "THEN greatest(r.steps_position + 1, next_change_position()) ELSE r.steps_position END, "
                            // A stalled run that sends again is running again (a status change, for SSE).
                            + "status = CASE WHEN r.status = 'stalled' THEN 'running' ELSE r.status END, "
                            + "status_position = CASE WHEN r.status = 'stalled' THEN next_change_position() ELSE r.status_position END, "
                            + "updated_at = now() FROM unnest($1::int4[], $2::int4[], $3::int4[], $4::int8[], $5::int4[], "
                            + "$6::int4[], $7::int4[]) AS t(run_key, max_epoch, inserted, epochs_position, total_epochs, "
                            + "steps_inserted, steps_changed) WHERE r.run_key = t.run_key "
                            + "RETURNING greatest(r.steps_position, r.status_position)")
                    .execute(Tuple.from(Arrays.asList(runKey, maxEpoch, inserted, epochsPosition, totalEpochs,
                            stepsInserted, stepsChanged)))
                    .invoke(this::seenAll)
                    .replaceWithVoid());
        }

        private Uni<Void> applyFinished() {
            List<Tuple> tuples = new ArrayList<>();
            for (EventEnvelope e : events) {
                if (e.event() instanceof RunFinished f && applies(e)) {
                    tuples.add(Tuple.from(Arrays.asList(runs.get(f.runId()).runKey, f.status().wire(), f.reason(),
                            f.epochsCompleted(), f.requestedBy(), odt(f.finishedAt()))));
                }
            }
            if (tuples.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            // run.finished is the trainer's word: it ends a run whatever its status, `cancelling` included.
            return conn.preparedQuery("UPDATE runs SET status = $2, finish_reason = $3, epochs_completed = $4, "
                            + "finish_requested_by = $5, finished_at = coalesce($6, now()), "
                            + "status_position = next_change_position(), updated_at = now() "
                            + "WHERE run_key = $1 RETURNING status_position")
                    .executeBatch(tuples)
                    .invoke(this::seenAll)
                    .replaceWithVoid();
        }

        private String startedDocument(RunStarted s) {
            ObjectNode doc = mapper.createObjectNode();
            putIfPresent(doc, "model", s.model());
            putIfPresent(doc, "hyperparameters", s.hyperparameters());
            putIfPresent(doc, "dataset", s.dataset());
            putIfPresent(doc, "device", s.device());
            putIfPresent(doc, "host", s.host());
            putIfPresent(doc, "monitor", s.monitor());
            // Secret-looking keys (api_key, token, password, ...) are stored as "***", never verbatim.
            io.trainwatch.metrics.security.SecretRedaction.redact(doc);
            try {
                return mapper.writeValueAsString(doc);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot encode run.started details of " + s.runId(), e);
            }
        }

        private void putIfPresent(ObjectNode doc, String name, Object value) {
            if (value != null) {
                doc.set(name, mapper.valueToTree(value));
            }
        }
    }

    /** A run touched by the batch: its key, its name lists (extended in place) and what the batch did to it. */
    private static final class RunRef {
        final int runKey;
        final Integer previousLatestEpoch;
        final List<String> metricNames;
        final boolean wasStalled;
        boolean heartbeat;
        boolean namesChanged;
        Integer totalEpochs;
        Integer maxEpoch;
        int epochsInserted;
        long epochsPosition;
        int stepsInserted;
        int stepsChanged;

        RunRef(int runKey, Integer previousLatestEpoch, List<String> metricNames, boolean wasStalled) {
            this.runKey = runKey;
            this.previousLatestEpoch = previousLatestEpoch;
            this.metricNames = metricNames;
            this.wasStalled = wasStalled;
        }
    }

    static OffsetDateTime odt(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static Buffer buffer(byte[] bytes) {
        return bytes == null ? null : Buffer.buffer(bytes);
    }

    private static String set(String columns) {
        StringBuilder sb = new StringBuilder();
        for (String c : columns.split(",\\s*")) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(c).append(" = excluded.").append(c);
        }
        return sb.toString();
    }

    private static String prefixed(String table, String columns) {
        StringBuilder sb = new StringBuilder();
        for (String c : columns.split(",\\s*")) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(table).append('.').append(c);
        }
        return sb.toString();
    }

    /** For tests and tools: the run key of a run id, if stored. */
    public Uni<Optional<Integer>> runKey(String runId) {
        return pool.preparedQuery("SELECT run_key FROM runs WHERE id = $1").execute(Tuple.of(runId))
                .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getInteger(0)));
    }
}
