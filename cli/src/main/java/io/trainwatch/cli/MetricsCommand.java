package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "metrics", description = "A run's epoch history as a table, CSV or JSON.", mixinStandardHelpOptions = true)
class MetricsCommand extends ServerCommand {

    static final List<String> DEFAULT_FIELDS = List.of("train_loss", "val_loss", "train_accuracy", "val_accuracy",
            "learning_rate", "duration_ms");

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Option(names = "--since", paramLabel = "N", description = "only epochs after epoch N (exclusive, as since_epoch)")
    Integer since;

    @Option(names = "--fields", paramLabel = "a,b", split = ",",
            description = "the columns, e.g. train_loss,val_loss,grad_norm (default: losses, accuracies, learning rate, duration)")
    List<String> fields;

    @Option(names = "--max-points", paramLabel = "N", description = "downsample to N points (keeps first, last, minimum, maximum)")
    Integer maxPoints;

    @Option(names = "--csv", description = "print CSV (format=csv)")
    boolean csv;

    @Option(names = "--json", description = "print the API's JSON")
    boolean json;

    @Override
    public Integer call() {
        if (csv && json) {
            throw new CliException(ExitCodes.ERROR, "--csv and --json: choose one");
        }
        List<String> columns = fields == null || fields.isEmpty() ? DEFAULT_FIELDS
                : fields.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        List<String> query = new ArrayList<>();
        if (since != null) {
            query.add("since_epoch=" + since);
        }
        query.add("fields=" + enc(String.join(",", columns)));
        if (maxPoints != null) {
            query.add("max_points=" + maxPoints);
        }
        if (csv) {
            query.add("format=csv");
            ApiClient.TextResponse r = metricsApi().get(runPath(runId, "/metrics?" + String.join("&", query)),
                    Map.of("Accept", "text/csv"));
            out().print(r.body());
            out().flush();
            return ExitCodes.OK;
        }
        JsonNode history = metricsApi().getJson(runPath(runId, "/metrics?" + String.join("&", query)));
        if (json) {
            printJson(history);
            return ExitCodes.OK;
        }
        JsonNode epochs = history.path("epochs");
        if (!epochs.isArray() || epochs.isEmpty()) {
            out().println(since == null ? "no metrics yet for run " + runId : "no epochs after " + since + " for run " + runId);
            out().flush();
            return ExitCodes.OK;
        }
        List<String> headers = new ArrayList<>();
        headers.add("epoch");
        headers.addAll(columns);
        Table table = new Table(headers);
        for (JsonNode e : epochs) {
            List<String> row = new ArrayList<>();
            row.add(Fmt.text(e.get("epoch")));
            for (String c : columns) {
                JsonNode v = e.get(c);
                row.add(v != null && v.isContainerNode() ? v.toString() : Fmt.num(v));
            }
            table.row(row);
        }
        table.print(out());
        if (history.path("downsampled").asBoolean(false)) {
            out().println("(downsampled to " + epochs.size() + " points)");
            out().flush();
        }
        return ExitCodes.OK;
    }
}
