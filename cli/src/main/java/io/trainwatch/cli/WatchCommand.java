package io.trainwatch.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Follow a run live over SSE: a line per epoch, alerts highlighted, a progress bar with ETA on a terminal.",
                "Exits when the run ends: 0 completed, 1 failed/diverged, 2 cancelled/stopped early, 3 connection or usage error."})
class WatchCommand extends ServerCommand {

    @Parameters(paramLabel = "RUN", description = "the run id")
    String runId;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
            description = "wait up to this long for an unknown run to appear (default ${DEFAULT-VALUE})")
    int waitSeconds;

    @Override
    public Integer call() {
        return watch(this, runId, Duration.ofSeconds(Math.max(0, waitSeconds)));
    }

    static int watch(ServerCommand command, String runId, Duration waitForRun) {
        Watcher watcher = new Watcher(command.metricsApi(), command.out(), command.err(), command.style(),
                System.console() != null, waitForRun, d -> Thread.sleep(d.toMillis()));
        return watcher.watch(runId);
    }
}
