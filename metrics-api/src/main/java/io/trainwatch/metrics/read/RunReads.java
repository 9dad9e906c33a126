package io.trainwatch.metrics.read;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.trainwatch.analysis.AnalysisSettings;
import io.trainwatch.analysis.RunAnalyzer;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.security.Caller;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.store.VerdictStore;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The run documents REST and MCP both answer: a run's detail, its verdict, its alerts and runs side by side. Each
 * fails with a problem (404 for an unknown run, 400 naming the parameter) that both adapters report alike.
 */
@ApplicationScoped
public class RunReads {

    /** Runs one compare may ask for. */
    public static final int MAX_COMPARED = 10;

    @Inject
    RunQueries queries;

    @Inject
    RunViews views;

    @Inject
    AnalysisView analysis;

    @Inject
    Pool pool;

    @Inject
    ObjectMapper mapper;

    /** The stored run, or a 404 problem naming it. */
    public Uni<RunRow> requireRun(String id) {
        return queries.run(id).map(found -> found.orElseThrow(() -> ProblemException.runNotFound(id)));
    }

    /** Status, progress, ETA, the latest epoch, the run.started details and the verdict's headline. */
    public Uni<ObjectNode> detail(String id) {
        return requireRun(id).chain(run -> Uni.combine().all()
                .unis(queries.latestEpoch(run), queries.recentEpochDurationMs(run.runKey()), analysis.headline(run))
                .asTuple()
                .map(t -> views.detail(run, t.getItem1().orElse(null), t.getItem2().orElse(null),
                        t.getItem3().orElse(null))));
    }

    /** The run's verdict with its run_id and status; the engine's verdict on no epochs while none is stored. */
    public Uni<ObjectNode> verdict(String id) {
        return requireRun(id).chain(run -> analysis.verdict(run).map(found -> {
            ObjectNode doc = mapper.createObjectNode();
            doc.put("run_id", run.id());
            doc.put("status", run.status());
            JsonNode verdict = found.orElseGet(() ->
                    mapper.valueToTree(RunAnalyzer.replay(AnalysisSettings.defaults(), List.of()).verdict()));
            verdict.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("run_id")) {
                    doc.set(e.getKey(), e.getValue());
                }
            });
            return doc;
        }));
    }

    /** The run's alerts, open and resolved; {@code state} (open, resolved or null for both) filters them. */
    public Uni<ObjectNode> alerts(String id, String state) {
        if (state != null && !state.equals("open") && !state.equals("resolved")) {
            throw new QueryParameterException("state", "must be open or resolved, was \"" + state + "\"");
        }
        return requireRun(id).chain(run -> pool.preparedQuery("SELECT alert_id, kind, severity, opened_epoch, "
                        + "resolved_epoch, message FROM alerts WHERE run_key = $1 "
                        // A withdrawn alert's row stays only so that SSE can tell its clients: the list depends on the
                        // data only, whatever the arrival order.
                        + "AND (message IS NULL OR message NOT LIKE '" + VerdictStore.WITHDRAWN
                        + "%') ORDER BY opened_epoch NULLS FIRST, alert_id")
                .execute(Tuple.of(run.runKey()))
                .map(rows -> {
                    ObjectNode body = mapper.createObjectNode();
                    body.put("run_id", run.id());
                    ArrayNode list = body.putArray("alerts");
                    for (Row r : rows) {
                        boolean open = r.getInteger("resolved_epoch") == null;
                        if (state != null && open != state.equals("open")) {
                            continue;
                        }
                        ObjectNode a = list.addObject();
                        a.put("id", r.getString("alert_id"));
                        a.put("kind", r.getString("kind"));
                        a.put("severity", r.getString("severity"));
                        if (r.getInteger("opened_epoch") != null) {
                            a.put("opened_epoch", r.getInteger("opened_epoch"));
                        }
                        if (!open) {
                            a.put("resolved_epoch", r.getInteger("resolved_epoch"));
                        }
                        a.put("state", open ? "open" : "resolved");
                        if (r.getString("message") != null) {
                            a.put("message", r.getString("message"));
                        }
                    }
                    return body;
                }));
    }

    /**
     * Each run's summary, headline analysis and epochs (the history query's fields and max_points), in the order
     * asked; a run {@code caller} may not see answers like an unknown one.
     */
    public Uni<ObjectNode> compare(List<String> runIds, String fields, String maxPoints, Caller caller) {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(runIds == null ? List.of() : runIds));
        if (ids.isEmpty() || ids.size() > MAX_COMPARED) {
            throw new QueryParameterException("run", "must be given 1 to " + MAX_COMPARED + " times, was given " + ids.size());
        }
        HistoryQuery query = HistoryQuery.parse("since_epoch", null, fields, maxPoints, null, EpochRow.FIELDS);
        return queries.runs(ids).chain(found -> {
            Map<String, RunRow> byId = found.stream().collect(Collectors.toMap(RunRow::id, Function.identity()));
            for (String id : ids) {
                // Another project's run answers like an unknown one: a limited token learns nothing of it.
                if (!byId.containsKey(id) || !caller.sees(byId.get(id).project())) {
                    throw ProblemException.runNotFound(id);
                }
            }
            List<Uni<ObjectNode>> parts = new ArrayList<>();
            for (String id : ids) {
                RunRow run = byId.get(id);
                parts.add(Uni.combine().all().unis(queries.epochs(run, null), analysis.headline(run)).asTuple().map(t -> {
                    ObjectNode n = views.summary(run);
                    t.getItem2().ifPresent(h -> n.set("analysis", h));
                    List<EpochRow> rows = t.getItem1();
                    if (query.maxPoints() != null && rows.size() > query.maxPoints()) {
                        rows = Downsampler.downsample(rows, query.fields(), query.maxPoints());
                        n.put("downsampled", true);
                    }
                    ArrayNode epochs = n.putArray("epochs");
                    for (EpochRow row : rows) {
                        ObjectNode e = epochs.addObject();
                        e.put("epoch", row.epoch());
                        for (String f : query.fields()) {
                            Object v = row.get(f);
                            if (v != null) {
                                e.set(f, mapper.valueToTree(v));
                            }
                        }
                    }
                    return n;
                }));
            }
            // One run after the other keeps the pool free for others; a compare is rare and small.
            return Uni.join().all(parts).andFailFast().map(nodes -> {
                ObjectNode body = mapper.createObjectNode();
                ArrayNode arr = body.putArray("runs");
                nodes.forEach(arr::add);
                return body;
            });
        });
    }
}
