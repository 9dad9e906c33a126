package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "analyze", description = "The run's health verdict in words: what to do, how sure, why, and the evidence.",
        mixinStandardHelpOptions = true)
class AnalyzeCommand extends ServerCommand {

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Option(names = "--json", description = "print the raw verdict (GET /api/v1/runs/{id}/analysis)")
    boolean json;

    @Override
    public Integer call() {
        JsonNode verdict = metricsApi().getJson(runPath(runId, "/analysis"));
        if (json) {
            printJson(verdict);
            return ExitCodes.OK;
        }
        for (String line : VerdictText.lines(verdict, style())) {
            out().println(line);
        }
        out().flush();
        return ExitCodes.OK;
    }
}
