package io.trainwatch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** What every subcommand shares: the server options, the clients, the output streams. */
abstract class ServerCommand implements Callable<Integer> {

    @ParentCommand
    TrainwatchCli root;

    @Mixin
    ServerOptions server = new ServerOptions();

    ApiClient metricsApi() {
        return root.metricsApi(server);
    }

    ApiClient trainerHost() {
        return root.trainerHost(server);
    }

    Style style() {
        return root.style(server);
    }

    PrintWriter out() {
        return root.out();
    }

    PrintWriter err() {
        return root.err();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The path of a run resource; the id is encoded, so an odd id is an unknown run, not a different path. */
    static String runPath(String runId, String suffix) {
        return "/api/v1/runs/" + enc(runId).replace("+", "%20") + suffix;
    }

    void printJson(JsonNode node) {
        try {
            out().println(metricsApi().mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new CliException(ExitCodes.ERROR, "cannot print the answer as JSON: " + e.getOriginalMessage());
        }
        out().flush();
    }
}
