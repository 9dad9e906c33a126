package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

@Command(name = "runs", description = "List runs, newest first.", mixinStandardHelpOptions = true)
class RunsCommand extends ServerCommand {

    @Option(names = "--status", description = "only runs in this status: queued, running, stalled, cancelling, cancel_unconfirmed, completed, failed, cancelled, stopped_early")
    String status;

    @Option(names = "--project", description = "only runs of this project")
    String project;

    @Option(names = "--tag", description = "only runs with this tag")
    String tag;

    @Option(names = "--limit", defaultValue = "50", description = "at most this many runs (1..500, default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--json", description = "print the API's JSON")
    boolean json;

    @Override
    public Integer call() {
        List<String> query = new ArrayList<>();
        query.add("limit=" + limit);
        if (status != null) {
            query.add("status=" + enc(status));
        }
        if (project != null) {
            query.add("project=" + enc(project));
        }
        if (tag != null) {
            query.add("tag=" + enc(tag));
        }
        JsonNode page = metricsApi().getJson("/api/v1/runs?" + String.join("&", query));
        if (json) {
            printJson(page);
            return ExitCodes.OK;
        }
        JsonNode runs = page.path("runs");
        if (!runs.isArray() || runs.isEmpty()) {
            out().println("no runs");
            out().flush();
            return ExitCodes.OK;
        }
        Table table = new Table(List.of("RUN", "NAME", "PROJECT", "STATUS", "EPOCHS", "PROGRESS", "STARTED"));
        for (JsonNode r : runs) {
            table.row(List.of(Fmt.text(r.get("run_id")), Fmt.text(r.get("name")), Fmt.text(r.get("project")),
                    Fmt.text(r.get("status")), epochs(r),
                    r.hasNonNull("progress_percent") ? r.get("progress_percent").asText() + "%" : "-",
                    Fmt.text(r.get("started_at"))));
        }
        table.print(out());
        if (page.hasNonNull("next_cursor")) {
            out().println("(more runs: raise --limit or narrow with --status/--project/--tag)");
            out().flush();
        }
        return ExitCodes.OK;
    }

    /** "13/40": epochs recorded (latest 0-based epoch + 1) of the total. */
    static String epochs(JsonNode r) {
        String done = r.hasNonNull("latest_epoch") ? String.valueOf(r.get("latest_epoch").asInt() + 1)
                : r.path("epochs_recorded").asText("0");
        return r.hasNonNull("total_epochs") ? done + "/" + r.get("total_epochs").asInt() : done;
    }
}
