package io.trainwatch.metrics.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkiverse.mcp.server.Tool;
import io.quarkiverse.mcp.server.ToolArg;
import io.quarkiverse.mcp.server.ToolCallException;
import io.smallrye.mutiny.Uni;
import io.trainwatch.contracts.RunCancelRequested;
import io.trainwatch.metrics.command.RunCommands;
import io.trainwatch.metrics.read.EpochRow;
import io.trainwatch.metrics.read.HistoryQuery;
import io.trainwatch.metrics.read.HistoryResponses;
import io.trainwatch.metrics.read.QueryParameterException;
import io.trainwatch.metrics.read.RunQueries;
import io.trainwatch.metrics.read.RunReads;
import io.trainwatch.metrics.rest.JsonBodies;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.read.AnalysisView;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.read.RunViews;
import io.trainwatch.metrics.security.Access;
import io.trainwatch.metrics.security.AuditLog;
import io.trainwatch.metrics.security.Caller;
import io.trainwatch.metrics.security.RouteRules;
import io.trainwatch.metrics.security.Scope;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The MCP tools. Each one calls the same resource method or query as its REST twin, so an agent over MCP sees exactly
 * the documents of /api/v1 (compact JSON text); every failure becomes a tool error (isError) with one line naming the
 * problem, never a stack trace.
 */
@Singleton
public class TrainwatchTools {

    private static final Logger LOG = Logger.getLogger(TrainwatchTools.class);
    static final List<String> STATUSES = RunRow.STATUSES;
    static final int DEFAULT_LIST_LIMIT = 20;
    static final int MAX_LIST_LIMIT = 500;

    @Inject
    RunReads reads;

    @Inject
    HistoryResponses histories;

    @Inject
    RunCommands commands;

    @Inject
    JsonBodies bodies;

    @Inject
    RunQueries queries;

    @Inject
    RunViews views;

    @Inject
    AnalysisView analysisView;

    @Inject
    ObjectMapper mapper;

    @Inject
    Access access;

    @Inject
    AuditLog audit;

    @Tool(name = "list_runs", description = "Lists training runs, newest first. Each entry has run_id, name, project, "
            + "status (queued, running, stalled, cancelling, cancel_unconfirmed, completed, failed, cancelled, "
            + "stopped_early; `stalled`: the trainer went silent past the run's pace), "
            + "total_epochs, "
            + "latest_epoch, progress_percent and, once analysed, `action` (the headline recommendation: continue, "
            + "stop, reduce_lr or investigate) with its confidence. Use it to find a run_id or to see which runs need "
            + "attention.")
    public Uni<String> listRuns(
            @ToolArg(name = "status", required = false, description = "only runs with this status, e.g. running")
            String status,
            @ToolArg(name = "project", required = false, description = "only runs of this project") String project,
            @ToolArg(name = "limit", required = false, description = "at most this many runs, 1 to 500; default 20")
            Integer limit) {
        return answer(() -> {
            access.require(RouteRules.mcpTool("list_runs").orElseThrow());
            if (status != null && !status.isBlank() && !STATUSES.contains(status)) {
                throw new QueryParameterException("status", "must be one of " + String.join(", ", STATUSES)
                        + ", was \"" + status + "\"");
            }
            int pageSize = limit == null ? DEFAULT_LIST_LIMIT : limit;
            if (pageSize < 1 || pageSize > MAX_LIST_LIMIT) {
                throw new QueryParameterException("limit", "must be >= 1 and <= " + MAX_LIST_LIMIT + ", was " + pageSize);
            }
            return queries.list(blankToNull(status), blankToNull(project), null, null, pageSize, access.projectsOrNull()).chain(rows -> {
                List<Uni<ObjectNode>> entries = new ArrayList<>(rows.size());
                for (RunRow row : rows) {
                    entries.add(analysisView.headline(row).map(headline -> {
                        ObjectNode n = views.summary(row);
                        headline.map(h -> h.get("recommendation")).ifPresent(r -> {
                            n.set("action", r.get("action"));
                            n.set("confidence", r.get("confidence"));
                        });
                        return n;
                    }));
                }
                Uni<List<ObjectNode>> all = entries.isEmpty() ? Uni.createFrom().item(List.of())
                        : Uni.join().all(entries).andFailFast();
                return all.map(nodes -> {
                    ObjectNode body = mapper.createObjectNode();
                    ArrayNode list = body.putArray("runs");
                    nodes.forEach(list::add);
                    return body;
                });
            });
        });
    }

    @Tool(name = "get_run", description = "One run: status, progress (latest_epoch, total_epochs, progress_percent), "
            + "eta_seconds, the latest epoch's metrics, the run's configuration, any cancel request, and the headline "
            + "verdict (best_epoch, best_val_loss, epochs_since_improvement, recommendation {action, confidence, "
            + "reason}). Use it to check on a run; call analyze_run for the full evidence.")
    public Uni<String> getRun(@ToolArg(name = "run_id", description = "the run's id, as in list_runs") String runId) {
        return onRun("get_run", runId, reads::detail);
    }

    @Tool(name = "get_training_metrics", description = "The per-epoch history of a run: epoch, train_loss, val_loss, "
            + "train_accuracy, val_accuracy, learning_rate, duration_ms, gradient norms, … Poll incrementally with "
            + "since_epoch (exclusive: only later epochs come back), keep it small with fields and max_points "
            + "(downsampling keeps the first, last, min and max). Use it to look at curves yourself.")
    public Uni<String> getTrainingMetrics(
            @ToolArg(name = "run_id", description = "the run's id") String runId,
            @ToolArg(name = "since_epoch", required = false, description = "only epochs after this one") Integer sinceEpoch,
            @ToolArg(name = "max_points", required = false, description = "downsample to at most this many epochs")
            Integer maxPoints,
            @ToolArg(name = "fields", required = false,
                    description = "comma-separated fields to return, e.g. train_loss,val_loss; default all") String fields) {
        return onRun("get_training_metrics", runId,
                id -> histories.conditional("epochs", id, "epoch", HistoryQuery.parse("since_epoch", text(sinceEpoch),
                        blankToNull(fields), text(maxPoints), null, EpochRow.FIELDS), null, queries::epochs));
    }

    @Tool(name = "analyze_run", description = "The full verdict on a run, recomputed on every stored epoch: trend per "
            + "series (improving/plateaued/worsening/unstable), overfitting (detected, onset_epoch, severity, "
            + "confidence), plateau, divergence, gradients, learning rate, forecast, best_epoch, early_stopping, alerts, "
            + "not_assessed, and recommendation {action: continue|stop|reduce_lr|investigate, confidence 0..1, reason, "
            + "evidence (each rule that fired with its params and values)}. Use it before deciding to cancel a run.")
    public Uni<String> analyzeRun(@ToolArg(name = "run_id", description = "the run's id") String runId) {
        return onRun("analyze_run", runId, reads::verdict);
    }

    @Tool(name = "get_alerts", description = "Every alert of a run, open and resolved: id, kind (e.g. overfitting, "
            + "plateau, divergence), severity, opened_epoch, resolved_epoch, state (open|resolved) and message. Use it "
            + "to see what went wrong and when.")
    public Uni<String> getAlerts(@ToolArg(name = "run_id", description = "the run's id") String runId) {
        return onRun("get_alerts", runId, id -> reads.alerts(id, null));
    }

    @Tool(name = "compare_runs", description = "Two or more runs side by side (at most as many as the REST compare "
            + "allows): each run's summary, headline verdict and epoch history (fields, downsampled to max_points). "
            + "Use it to pick the better of several runs or hyperparameter settings.")
    public Uni<String> compareRuns(
            @ToolArg(name = "run_ids", description = "the runs' ids; a single comma-separated string works too")
            List<String> runIds,
            @ToolArg(name = "fields", required = false,
                    description = "comma-separated epoch fields; default all") String fields,
            @ToolArg(name = "max_points", required = false,
                    description = "downsample each history to at most this many epochs") Integer maxPoints) {
        return answer(() -> {
            access.require(RouteRules.mcpTool("compare_runs").orElseThrow());
            List<String> ids = new ArrayList<>();
            for (String part : runIds == null ? List.<String>of() : runIds) {
                for (String id : part.split(",")) {
                    if (!id.isBlank()) {
                        ids.add(id.trim());
                    }
                }
            }
            return reads.compare(ids, blankToNull(fields), text(maxPoints), access.caller());
        });
    }

    @Tool(name = "cancel_run", description = "Stops a running training run: publishes run.cancel-requested (the "
            + "trainer stops at its next batch) and the run shows status `cancelling` until the trainer confirms "
            + "`cancelled` (`cancel_unconfirmed` if no trainer confirms within a minute: its host may be down). The reason is required and recorded on the run: pass the recommendation's reason when "
            + "analyze_run says stop. Fails if the run already finished.")
    public Uni<String> cancelRun(
            @ToolArg(name = "run_id", description = "the run's id") String runId,
            @ToolArg(name = "reason", required = false,
                    description = "why the run should stop (required; recorded on the run)") String reason,
            @ToolArg(name = "requested_by", required = false,
                    description = "who asks, e.g. your agent's name; default mcp-agent") String requestedBy) {
        return onRun("cancel_run", runId, id -> {
            if (reason == null || reason.isBlank()) {
                throw new QueryParameterException("reason", "is required: say why the run should stop (it is recorded on the run)");
            }
            ObjectNode body = mapper.createObjectNode();
            body.put("reason", reason);
            body.put("requested_by", requestedBy == null || requestedBy.isBlank() ? "mcp-agent" : requestedBy);
            return commands.cancel(id, bodies.events(bodies.parse(json(body)), RunCancelRequested.class, id, false).get(0));
        });
    }

    @Tool(name = "delete_run", description = "Deletes a training run IRREVERSIBLY: the run, all its epochs, steps, "
            + "verdict and alerts are removed and cannot be recovered. A run still training is cancelled first "
            + "(reason `deleted`). Only delete when a user asked for it; to stop a run, use cancel_run. Answers "
            + "{run_id, deleted: true}; fails if there is no such run.")
    public Uni<String> deleteRun(@ToolArg(name = "run_id", description = "the run's id") String runId) {
        return onRun("delete_run", runId, id -> commands.delete(id).map(deleted -> {
            ObjectNode answer = mapper.createObjectNode();
            answer.put("run_id", id);
            answer.put("deleted", true);
            return answer;
        }));
    }

    /**
     * A tool on one run: the caller needs the scope {@link RouteRules} names for it (a refused control attempt is
     * audited) and must see the run (another project's run answers like an unknown one), checked before the call as
     * the REST filters do.
     */
    private Uni<String> onRun(String tool, String runId, Function<String, Uni<?>> call) {
        // Checked at the HTTP level already (AuthFilter); again here, so that no path reaches a tool unchecked.
        Scope scope = RouteRules.mcpTool(tool).orElse(Scope.ADMIN);
        return answer(() -> {
            Caller caller = access.caller();
            if (!caller.has(scope)) {
                if (scope == Scope.CONTROL) {
                    audit.recordLater(caller.name(), access.remoteAddress(), "mcp " + tool, runId,
                            "missing scope " + scope.wire());
                }
                access.require(scope);
            }
            String id = requireId(runId);
            return access.requireRun(id).chain(() -> call.apply(id));
        });
    }

    /** Runs the call, turns its answer into compact JSON text, and any failure into a one-line tool error. */
    private Uni<String> answer(Supplier<Uni<?>> call) {
        return Uni.createFrom().deferred(call::get)
                .map(this::text)
                .onFailure().transform(TrainwatchTools::toolError);
    }

    private String text(Object result) {
        Object entity = result instanceof Response r ? r.getEntity() : result;
        if (entity instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        try {
            return mapper.writeValueAsString(entity);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("answer is not serialisable as JSON", e);
        }
    }

    static Throwable toolError(Throwable failure) {
        if (failure instanceof ToolCallException) {
            return failure;
        }
        if (failure instanceof ProblemException p) {
            return new ToolCallException(p.title() + ": " + p.getMessage());
        }
        if (failure instanceof QueryParameterException q) {
            return new ToolCallException("Invalid argument: " + q.getMessage());
        }
        LOG.errorf(failure, "MCP tool call failed");
        // Never the exception's class or message: they may name internals (SQL, classes); the log has them.
        return new ToolCallException("Internal error: the server failed to answer; the log has the details");
    }

    private static String requireId(String runId) {
        if (runId == null || runId.isBlank()) {
            throw new QueryParameterException("run_id", "is required");
        }
        return runId.trim();
    }

    private byte[] json(ObjectNode body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(Integer value) {
        return value == null ? null : value.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
