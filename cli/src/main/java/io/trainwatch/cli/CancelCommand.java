package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", description = "Ask the trainer to stop a run, with a reason; the run shows 'cancelling' until it stops.",
        mixinStandardHelpOptions = true)
class CancelCommand extends ServerCommand {

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Option(names = "--reason", required = true, description = "why; recorded on the run and carried by run.finished")
    String reason;

    @Option(names = "--by", paramLabel = "NAME", description = "who asks (default: trainwatch-cli/<user>)")
    String requestedBy;

    @Override
    public Integer call() {
        if (reason.isBlank()) {
            throw new CliException(ExitCodes.ERROR, "--reason: must not be blank");
        }
        ApiClient api = metricsApi();
        ObjectNode body = api.mapper().createObjectNode();
        body.put("reason", reason);
        body.put("requested_by", requestedBy != null ? requestedBy : "trainwatch-cli/" + System.getProperty("user.name", "unknown"));
        JsonNode answer = api.postJson(runPath(runId, "/cancel"), body);
        out().println("cancel requested for run " + runId + ": status " + answer.path("status").asText("cancelling")
                + " (reason: " + reason + ")");
        out().flush();
        return ExitCodes.OK;
    }
}
