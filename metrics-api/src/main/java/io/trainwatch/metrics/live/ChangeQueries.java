package io.trainwatch.metrics.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.read.EpochRow;
import io.trainwatch.metrics.store.RunDeletion;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.store.Rows;
import io.trainwatch.metrics.read.RunViews;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the changes with positions in (after, upTo] — of one run or of all — as SSE events, in position order.
 * Used live (once per notification, by each replica) and for Last-Event-ID replay.
 */
@ApplicationScoped
public class ChangeQueries {

    private static final String EPOCHS = "SELECT e.position, r.id AS run_id, r.project, r.metric_names, "
            + "e.epoch, e.global_step, e.emitted_at, e.train_loss, e.val_loss, e.train_accuracy, e.val_accuracy, "
            + "e.learning_rate, e.duration_ms, e.samples_per_second, e.grad_norm, e.grad_norm_max, e.metrics, "
            + "e.param_norm, e.clipped_steps, e.memory_bytes FROM epoch_metrics e JOIN runs r USING (run_key) "
            + "WHERE e.position > $1 AND e.position <= $2";

    private static final String ANALYSIS = "SELECT a.position, r.id AS run_id, r.project, r.status, a.verdict::text AS verdict "
            + "FROM run_analysis a JOIN runs r USING (run_key) WHERE a.position > $1 AND a.position <= $2";

    private static final String ALERTS = "SELECT a.position, r.id AS run_id, r.project, a.alert_id, a.kind, a.severity, "
            + "a.opened_epoch, a.resolved_epoch, a.message FROM alerts a JOIN runs r USING (run_key) "
            + "WHERE a.position > $1 AND a.position <= $2";

    @Inject
    Pool pool;

    @Inject
    ObjectMapper mapper;

    @Inject
    RunViews views;

    @Inject
    Rows rowMapper;

    /**
     * The change horizon: every change at or below it is committed and no transaction can still write one there
     * (migration V30's {@code change_horizon()}). Changes are served up to it, never past it.
     */
    public Uni<Long> horizon() {
        return pool.query("SELECT change_horizon()").execute().map(rows -> rows.iterator().next().getLong(0));
    }

    /** Changes in (after, upTo]; {@code runId} null for every run; {@code upTo} at or below the horizon. */
    public Uni<List<FeedEvent>> changes(long after, long upTo, String runId) {
        if (upTo <= after) {
            return Uni.createFrom().item(List.of());
        }
        String runFilter = runId == null ? "" : " AND r.id = $3";
        Tuple args = runId == null ? Tuple.of(after, upTo) : Tuple.of(after, upTo, runId);
        Uni<List<FeedEvent>> epochs = pool.preparedQuery(EPOCHS + runFilter).execute(args).map(rs -> {
            List<FeedEvent> out = new ArrayList<>(rs.size());
            for (Row r : rs) {
                EpochRow row = Rows.epochRow(r, Arrays.asList(r.getArrayOfStrings("metric_names")));
                ObjectNode data = mapper.createObjectNode();
                data.put("run_id", r.getString("run_id"));
                data.setAll((ObjectNode) mapper.valueToTree(row));
                out.add(new FeedEvent(r.getLong("position"), r.getString("run_id"), r.getString("project"), "epoch",
                        data.toString()));
            }
            return out;
        });
        Uni<List<FeedEvent>> statuses = pool.preparedQuery("SELECT " + Rows.RUN_COLUMNS + " FROM runs r "
                + "WHERE r.status_position > $1 AND r.status_position <= $2" + runFilter).execute(args).map(rs -> {
            List<FeedEvent> out = new ArrayList<>(rs.size());
            for (Row r : rs) {
                RunRow run = rowMapper.runRow(r);
                out.add(new FeedEvent(run.statusPosition(), run.id(), run.project(), "status",
                        views.summary(run).toString()));
            }
            return out;
        });
        Uni<List<FeedEvent>> analyses = pool.preparedQuery(ANALYSIS + runFilter).execute(args).map(rs -> {
            List<FeedEvent> out = new ArrayList<>(rs.size());
            for (Row r : rs) {
                out.add(new FeedEvent(r.getLong("position"), r.getString("run_id"), r.getString("project"), "analysis",
                        withStatus(r.getString("verdict"), r.getString("status"))));
            }
            return out;
        });
        Uni<List<FeedEvent>> alerts = pool.preparedQuery(ALERTS + runFilter).execute(args).map(rs -> {
            List<FeedEvent> out = new ArrayList<>(rs.size());
            for (Row r : rs) {
                ObjectNode a = mapper.createObjectNode();
                a.put("run_id", r.getString("run_id"));
                a.put("id", r.getString("alert_id"));
                a.put("kind", r.getString("kind"));
                a.put("severity", r.getString("severity"));
                putInt(a, "opened_epoch", r.getInteger("opened_epoch"));
                putInt(a, "resolved_epoch", r.getInteger("resolved_epoch"));
                a.put("state", r.getInteger("resolved_epoch") == null ? "open" : "resolved");
                if (r.getString("message") != null) {
                    a.put("message", r.getString("message"));
                }
                out.add(new FeedEvent(r.getLong("position"), r.getString("run_id"), r.getString("project"), "alert",
                        a.toString()));
            }
            return out;
        });
        Uni<List<FeedEvent>> deletions = pool.preparedQuery(RunDeletion.CHANGES + runFilter).execute(args).map(rs -> {
            List<FeedEvent> out = new ArrayList<>(rs.size());
            for (Row r : rs) {
                ObjectNode d = mapper.createObjectNode();
                d.put("run_id", r.getString("id"));
                d.put("status", "deleted");
                if (r.getString("project") != null) {
                    d.put("project", r.getString("project"));
                }
                out.add(new FeedEvent(r.getLong("position"), r.getString("id"), r.getString("project"), "status",
                        d.toString(), true));
            }
            return out;
        });
        return Uni.combine().all().unis(epochs, statuses, analyses, alerts, deletions).with(lists -> {
            List<FeedEvent> all = new ArrayList<>();
            for (Object l : lists) {
                @SuppressWarnings("unchecked")
                List<FeedEvent> part = (List<FeedEvent>) l;
                all.addAll(part);
            }
            all.sort(Comparator.comparingLong(FeedEvent::position));
            return all;
        });
    }

    private String withStatus(String verdict, String status) {
        try {
            ObjectNode doc = (ObjectNode) mapper.readTree(verdict);
            doc.put("status", status);
            return doc.toString();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored verdict is not JSON", e);
        }
    }

    private static void putInt(ObjectNode n, String name, Integer v) {
        if (v != null) {
            n.put(name, v);
        }
    }
}
