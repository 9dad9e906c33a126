package io.trainwatch.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Delete a run with all its metrics, verdict and alerts (irreversible); a run "
        + "still training is cancelled first.", mixinStandardHelpOptions = true)
class DeleteCommand extends ServerCommand {

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Override
    public Integer call() {
        metricsApi().delete(runPath(runId, ""));
        out().println("run " + runId + " deleted");
        out().flush();
        return ExitCodes.OK;
    }
}
