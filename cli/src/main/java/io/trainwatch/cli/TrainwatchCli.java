package io.trainwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;

/** The {@code trainwatch} command: global options and the subcommands; main() is the jar's entry point. */
@Command(name = "trainwatch", mixinStandardHelpOptions = true, version = "trainwatch 0.1.0",
        description = "Watch, judge and steer training runs through Trainwatch (metrics-api and trainer-host).",
        subcommands = {RunsCommand.class, ShowCommand.class, MetricsCommand.class, WatchCommand.class,
                AnalyzeCommand.class, CancelCommand.class, DeleteCommand.class, TrainCommand.class, TokenCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  done; for watch/train --watch: the run completed",
                "  1  watch: the run failed or diverged",
                "  2  watch: the run was cancelled or stopped early",
                "  3  server unreachable, unknown run, request refused, or bad usage"})
public class TrainwatchCli implements Runnable {

    @Mixin
    ServerOptions server = new ServerOptions();

    @Spec
    CommandSpec spec;

    /** The environment, injectable so tests do not depend on the machine's. */
    final Map<String, String> env;

    public TrainwatchCli(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** metrics-api, resolving the command's option, then the global one, then TRAINWATCH_URL, then the default. */
    ApiClient metricsApi(ServerOptions local) {
        String url = first(local == null ? null : local.url, server.url, env.get("TRAINWATCH_URL"), ServerOptions.DEFAULT_URL);
        return new ApiClient("metrics-api", url, token(local));
    }

    ApiClient trainerHost(ServerOptions local) {
        String url = first(local == null ? null : local.trainerUrl, server.trainerUrl, env.get("TRAINWATCH_TRAINER_URL"),
                ServerOptions.DEFAULT_TRAINER_URL);
        return new ApiClient("trainer-host", url, token(local));
    }

    /** The bearer token: the command's --token, the global one, then TRAINWATCH_TOKEN; null for none. */
    String token(ServerOptions local) {
        return first(local == null ? null : local.token, server.token, env.get("TRAINWATCH_TOKEN"), null);
    }

    Style style(ServerOptions local) {
        return Style.detect(server.noColor || (local != null && local.noColor));
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /** The configured command line: one-line errors and the exit codes of {@link ExitCodes}. */
    public static CommandLine commandLine(Map<String, String> env) {
        CommandLine cl = new CommandLine(new TrainwatchCli(env));
        boolean debug = env.containsKey("TRAINWATCH_DEBUG");
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof CliException ce) {
                err.println("trainwatch: " + ce.getMessage());
                err.flush();
                return ce.exitCode();
            }
            // A bug of ours: still one line, the trace only on request.
            err.println("trainwatch: unexpected error: " + ex + (debug ? "" : " (set TRAINWATCH_DEBUG=1 for the trace)"));
            if (debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.ERROR;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine at = ex.getCommandLine();
            PrintWriter err = at.getErr();
            err.println("trainwatch: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + at.getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return ExitCodes.ERROR;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
