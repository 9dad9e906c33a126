package io.trainwatch.metrics.openapi;

import io.trainwatch.analysis.Verdict;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * The schemas of the documents metrics-api builds as JSON trees (run views, history, verdict, alerts, compare, ingest
 * answers, problems). Nothing serialises these types: they describe what the resources write, and
 * {@code OpenApiContractTest} checks real responses against them so the description cannot drift. Request bodies and
 * event payloads are not here: they come from the contracts' JSON Schemas ({@link ContractOpenApiFilter}).
 * Property names are snake_case in the document (mp.openapi.extensions.smallrye.property-naming-strategy).
 */
public final class ApiSchemas {

    private ApiSchemas() {
    }

    @Schema(name = "RunSummary", description = "What every view of a run shows: identity, status, progress.",
            requiredProperties = {"run_id", "status", "epochs_recorded"})
    public record RunSummary(
            @Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
            @Schema(ref = ContractOpenApiFilter.SCHEMAS + "RunStatus") String status,
            String name,
            String project,
            List<String> tags,
            @Schema(minimum = "1") Integer totalEpochs,
            @Schema(minimum = "0") Integer latestEpoch,
            @Schema(minimum = "0") long epochsRecorded,
            @Schema(description = "(latest_epoch + 1) / total_epochs x 100; 100 for a completed run",
                    minimum = "0", maximum = "100") Double progressPercent,
            @Schema(format = "date-time") String startedAt,
            @Schema(format = "date-time") String finishedAt,
            String finishReason,
            @Schema(minimum = "0") Integer epochsCompleted,
            Cancel cancel,
            @Schema(format = "date-time") String createdAt,
            @Schema(format = "date-time") String updatedAt) {
    }

    @Schema(name = "CancelRequest", description = "The cancel asked for this run.", requiredProperties = "reason")
    public record Cancel(String reason, String requestedBy, @Schema(format = "date-time") String requestedAt) {
    }

    @Schema(name = "RunPage", description = "A page of runs, newest first; next_cursor is absent on the last page.",
            requiredProperties = "runs")
    public record RunPage(List<RunSummary> runs, String nextCursor) {
    }

    @Schema(name = "RunDetail", description = "The summary, the run.started details (model, hyperparameters, dataset, "
            + "device, host, monitor: see RunStarted), the latest epoch, the ETA and the headline of the verdict.",
            allOf = {RunSummary.class, RunStartedDetails.class, DetailExtras.class})
    public interface RunDetail {
    }

    @Schema(name = "RunStartedDetails", ref = ContractOpenApiFilter.SCHEMAS + "RunStartedDetails")
    public interface RunStartedDetails {
    }

    @Schema(name = "RunDetailExtras")
    public record DetailExtras(
            @Schema(description = "Remaining epochs x mean duration of the last ten; only while the run is running",
                    minimum = "0") Double etaSeconds,
            @Schema(minimum = "0") long stepsRecorded,
            HistoryEpochRef latest,
            AnalysisHeadline analysis) {
    }

    @Schema(name = "AnalysisHeadline", description = "The headline of the verdict: see RunAnalysis.")
    public record AnalysisHeadline(Integer epoch, Integer bestEpoch, Double bestValLoss, Integer epochsSinceImprovement,
                                   Verdict.Recommendation recommendation) {
    }

    @Schema(name = "EpochHistory", requiredProperties = {"run_id", "count", "downsampled", "epochs"})
    public record EpochHistory(
            @Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
            @Schema(minimum = "0") int count,
            boolean downsampled,
            List<HistoryEpochRef> epochs) {
    }

    @Schema(name = "StepHistory", requiredProperties = {"run_id", "count", "downsampled", "steps"})
    public record StepHistory(
            @Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
            @Schema(minimum = "0") int count,
            boolean downsampled,
            List<HistoryStepRef> steps) {
    }

    @Schema(name = "RunAnalysis", description = "The verdict (docs/analysis.md describes every field) with the run's id "
            + "and current status.", allOf = {Verdict.class, RunRef.class})
    public interface RunAnalysis {
    }

    @Schema(name = "RunRef", requiredProperties = {"run_id", "status"})
    public record RunRef(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
                         @Schema(ref = ContractOpenApiFilter.SCHEMAS + "RunStatus") String status) {
    }

    @Schema(name = "AlertList", requiredProperties = {"run_id", "alerts"})
    public record AlertList(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
                            List<AlertEntry> alerts) {
    }

    @Schema(name = "AlertEntry", description = "An alert; ids are <kind>@<opened_epoch>.",
            requiredProperties = {"id", "kind", "severity", "state"})
    public record AlertEntry(
            String id, String kind,
            @Schema(enumeration = {"info", "warning", "critical"}) String severity,
            @Schema(minimum = "0") Integer openedEpoch,
            @Schema(minimum = "0") Integer resolvedEpoch,
            @Schema(enumeration = {"open", "resolved"}) String state,
            String message) {
    }

    @Schema(name = "AlertEvent", description = "An SSE alert: the alert with its run.",
            allOf = {AlertEntry.class, RunIdOnly.class})
    public interface AlertEvent {
    }

    @Schema(name = "RunIdOnly", requiredProperties = "run_id")
    public record RunIdOnly(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId) {
    }

    @Schema(name = "ComparedRuns", requiredProperties = "runs")
    public record ComparedRuns(List<ComparedRun> runs) {
    }

    @Schema(name = "ComparedRun", allOf = {RunSummary.class, ComparedExtras.class})
    public interface ComparedRun {
    }

    @Schema(name = "ComparedRunExtras", requiredProperties = "epochs")
    public record ComparedExtras(AnalysisHeadline analysis, Boolean downsampled,
                                 List<HistoryEpochRef> epochs) {
    }

    @Schema(name = "IngestAccepted", description = "The events are durably on Kafka and the run is readable "
            + "(read-your-writes); control says whether the trainer should stop.",
            requiredProperties = {"run_id", "accepted", "ce_ids", "control"})
    public record IngestAccepted(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
                                 @Schema(minimum = "1") int accepted,
                                 @Schema(description = "The CloudEvents ids (ce_id) of the published events, in order")
                                 List<String> ceIds,
                                 ControlState control) {
    }

    @Schema(name = "ControlState", description = "What a trainer acts on. Unlike the rest of the API, absent values "
            + "are explicit nulls: trainers read a fixed shape.",
            requiredProperties = {"cancel_requested", "reason", "requested_by", "status"})
    public record ControlState(boolean cancelRequested,
                               @Schema(type = SchemaType.STRING, nullable = true) String reason,
                               @Schema(type = SchemaType.STRING, nullable = true) String requestedBy,
                               @Schema(ref = ContractOpenApiFilter.SCHEMAS + "RunStatus") String status) {
    }

    @Schema(name = "CancelAccepted", requiredProperties = {"run_id", "accepted", "ce_ids", "status", "cancel_id"})
    public record CancelAccepted(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
                                 @Schema(minimum = "1") int accepted, List<String> ceIds,
                                 @Schema(enumeration = "cancelling") String status,
                                 @Schema(description = "The id the trainer echoes in its run.finished: the one given "
                                         + "in the request, else one made by the API") String cancelId) {
    }

    @Schema(name = "SchemaList", requiredProperties = "schemas")
    public record SchemaList(List<SchemaEntry> schemas) {
    }

    @Schema(name = "SchemaEntry", requiredProperties = {"ce_type", "legacy_ce_type", "topic", "dataschema", "href"})
    public record SchemaEntry(@Schema(description = "e.g. io.trainwatch.epoch.completed") String ceType,
                              @Schema(description = "The bare ce_type earlier producers sent, e.g. epoch.completed: "
                                      + "still read, and an alias in /api/v1/schemas/{ce_type}") String legacyCeType,
                              String topic,
                              @Schema(format = "uri", description = "The schema's $id, sent as ce_dataschema") String dataschema,
                              @Schema(description = "Where this API serves the schema") String href) {
    }

    @Schema(name = "Problem", description = "RFC 9457 problem details; errors names every field at fault.",
            requiredProperties = {"type", "title", "status", "errors"})
    public record Problem(
            @Schema(description = "urn:trainwatch:problem:<kind>", format = "uri") String type,
            String title,
            @Schema(minimum = "400", maximum = "599") int status,
            String detail,
            List<FieldError> errors) {
    }

    @Schema(name = "FieldError", requiredProperties = {"field", "message"})
    public record FieldError(@Schema(description = "The field, parameter or header at fault, e.g. [1].epoch") String field,
                             @Schema(description = "The rule it broke") String message) {
    }

    @Schema(name = "LiveEvent", description = "One Server-Sent Event: the `id:`, `event:` and `data:` (JSON) lines of the "
            + "frame. Heartbeat comments (`: heartbeat`) come between events.",
            oneOf = {StatusEvent.class, EpochEvent.class, AnalysisEvent.class, AlertEventFrame.class})
    public interface LiveEvent {
    }

    @Schema(name = "StatusEvent", description = "Run created, run.started stored, cancel requested, run.finished stored, "
            + "run deleted; first event of a fresh per-run connection.", requiredProperties = {"id", "event", "data"})
    public record StatusEvent(@Schema(description = LIVE_ID) String id,
                              @Schema(enumeration = "status") String event, RunStatusChange data) {
    }

    @Schema(name = "RunStatusChange", description = "The run as a status event carries it: its summary, or, once it "
            + "was deleted, only its id, project and status deleted.", oneOf = {RunSummary.class, RunDeleted.class})
    public interface RunStatusChange {
    }

    @Schema(name = "RunDeleted", description = "A deleted run (DELETE /api/v1/runs/{id}); a run's stream ends after it.",
            requiredProperties = {"run_id", "status"})
    public record RunDeleted(@Schema(ref = ContractOpenApiFilter.DEFS_PREFIX + "RunId") String runId,
                             @Schema(enumeration = "deleted") String status, String project) {
    }

    @Schema(name = "EpochEvent", description = "An epoch was stored or changed.",
            requiredProperties = {"id", "event", "data"})
    public record EpochEvent(@Schema(description = LIVE_ID) String id, @Schema(enumeration = "epoch") String event,
                             @Schema(ref = ContractOpenApiFilter.SCHEMAS + "EpochCompleted") Object data) {
    }

    @Schema(name = "AnalysisEvent", description = "The verdict after each stored batch that touched the run.",
            requiredProperties = {"id", "event", "data"})
    public record AnalysisEvent(@Schema(description = LIVE_ID) String id,
                                @Schema(enumeration = "analysis") String event, RunAnalysis data) {
    }

    @Schema(name = "AlertEventFrame", description = "An alert opened or resolved (withdrawn ones: state resolved, "
            + "message starting \"withdrawn:\").", requiredProperties = {"id", "event", "data"})
    public record AlertEventFrame(@Schema(description = LIVE_ID) String id, @Schema(enumeration = "alert") String event,
                                  AlertEvent data) {
    }

    static final String LIVE_ID = "<run id>/<position> on a run's stream, <position> on the global stream; "
            + "send it back as Last-Event-ID to resume";

    /** An epoch of a history: the contract's epoch.completed, derived by {@link ContractOpenApiFilter}. */
    @Schema(ref = ContractOpenApiFilter.SCHEMAS + "HistoryEpoch")
    public interface HistoryEpochRef {
    }

    @Schema(ref = ContractOpenApiFilter.SCHEMAS + "HistoryStep")
    public interface HistoryStepRef {
    }
}
