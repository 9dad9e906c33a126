package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

@Command(name = "show", description = "One run: status, progress, ETA, latest epoch, headline verdict.",
        mixinStandardHelpOptions = true)
class ShowCommand extends ServerCommand {

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Option(names = "--json", description = "print the API's JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode run = metricsApi().getJson(runPath(runId, ""));
        if (json) {
            printJson(run);
            return ExitCodes.OK;
        }
        Style style = style();
        for (String line : lines(run, style)) {
            out().println(line);
        }
        out().flush();
        return ExitCodes.OK;
    }

    static List<String> lines(JsonNode r, Style style) {
        List<String> out = new ArrayList<>();
        out.add(style.bold("Run " + Fmt.text(r.get("run_id"))) + (r.hasNonNull("name") ? "  " + r.get("name").asText() : ""));
        if (r.hasNonNull("project")) {
            out.add("Project:  " + r.get("project").asText());
        }
        if (r.path("tags").isArray() && r.path("tags").size() > 0) {
            List<String> tags = new ArrayList<>();
            r.get("tags").forEach(t -> tags.add(t.asText()));
            out.add("Tags:     " + String.join(", ", tags));
        }
        out.add("Status:   " + Fmt.text(r.get("status"))
                + (r.hasNonNull("finish_reason") ? " (" + r.get("finish_reason").asText() + ")" : ""));
        StringBuilder progress = new StringBuilder("Epochs:   ").append(RunsCommand.epochs(r));
        if (r.hasNonNull("progress_percent")) {
            progress.append("  (").append(r.get("progress_percent").asText()).append("%)");
        }
        if (r.hasNonNull("eta_seconds")) {
            progress.append("  ETA ").append(Fmt.duration(r.get("eta_seconds").asDouble()));
        }
        out.add(progress.toString());
        if (r.hasNonNull("started_at")) {
            out.add("Started:  " + r.get("started_at").asText());
        }
        if (r.hasNonNull("finished_at")) {
            out.add("Finished: " + r.get("finished_at").asText());
        }
        JsonNode cancel = r.path("cancel");
        if (cancel.isObject() && cancel.hasNonNull("reason")) {
            out.add("Cancel:   requested" + (cancel.hasNonNull("requested_by") ? " by " + cancel.get("requested_by").asText() : "")
                    + ": " + cancel.get("reason").asText());
        }
        JsonNode latest = r.path("latest");
        if (latest.isObject()) {
            out.add("Latest:   epoch " + Fmt.text(latest.get("epoch")) + "  train_loss " + Fmt.num(latest.get("train_loss"))
                    + "  val_loss " + Fmt.num(latest.get("val_loss")) + "  val_acc " + Fmt.percent(latest.get("val_accuracy")));
        }
        JsonNode a = r.path("analysis");
        if (a.isObject()) {
            JsonNode rec = a.path("recommendation");
            if (rec.hasNonNull("action")) {
                String action = rec.get("action").asText();
                out.add("Verdict:  " + style.action(action, action.toUpperCase(Locale.ROOT)) + " (confidence "
                        + Fmt.percent(rec.get("confidence")) + ")" + (rec.hasNonNull("reason") ? ": " + rec.get("reason").asText() : ""));
            }
            if (a.hasNonNull("best_epoch")) {
                out.add("Best:     epoch " + a.get("best_epoch").asInt() + " (val_loss " + Fmt.num(a.get("best_val_loss")) + ")"
                        + (a.hasNonNull("epochs_since_improvement") ? ", " + a.get("epochs_since_improvement").asInt()
                        + " epochs since improvement" : ""));
            }
        }
        return out;
    }
}
