package io.trainwatch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Submit a training job to trainer-host and print its run id (alone on stdout, for scripts).",
                "With --watch, then watch it on metrics-api; the exit code is watch's."})
class TrainCommand extends ServerCommand {

    static final Duration WAIT_FOR_RUN = Duration.ofSeconds(120);

    static class Source {
        @Option(names = "--spec", paramLabel = "FILE", description = "a job spec as JSON (see docs/trainer-host.md)")
        Path spec;

        @Option(names = "--preset", paramLabel = "NAME", description = "overfit, plateau, diverge or healthy")
        String preset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--epochs", paramLabel = "N", description = "number of epochs (overrides the spec's or preset's)")
    Integer epochs;

    @Option(names = "--watch", description = "watch the run until it ends")
    boolean watch;

    @Override
    public Integer call() {
        ApiClient trainer = trainerHost();
        ObjectNode body = body(trainer);
        JsonNode job = trainer.postJson("/api/v1/jobs", body);
        String runId = job.path("run_id").asText(null);
        if (runId == null) {
            throw new CliException(ExitCodes.ERROR, "trainer-host: the answer has no run_id: " + job);
        }
        out().println(runId);
        out().flush();
        err().println("submitted " + (source.preset != null ? "preset " + source.preset : source.spec)
                + (job.hasNonNull("total_epochs") ? ", " + job.get("total_epochs").asInt() + " epochs" : "")
                + " to trainer-host as run " + runId);
        err().flush();
        if (!watch) {
            return ExitCodes.OK;
        }
        // The run reaches metrics-api through Kafka: give it time to appear.
        return WatchCommand.watch(this, runId, WAIT_FOR_RUN);
    }

    ObjectNode body(ApiClient trainer) {
        ObjectNode body;
        if (source.spec != null) {
            try {
                JsonNode parsed = trainer.mapper().readTree(Files.readString(source.spec));
                if (!(parsed instanceof ObjectNode o)) {
                    throw new CliException(ExitCodes.ERROR, "--spec " + source.spec + ": must hold a JSON object");
                }
                body = o;
            } catch (JsonProcessingException e) {
                throw new CliException(ExitCodes.ERROR, "--spec " + source.spec + ": not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw new CliException(ExitCodes.ERROR, "--spec " + source.spec + ": cannot be read: " + e);
            }
        } else {
            body = trainer.mapper().createObjectNode();
            body.put("preset", source.preset);
        }
        if (epochs != null) {
            if (epochs < 1) {
                throw new CliException(ExitCodes.ERROR, "--epochs: must be >= 1, was " + epochs);
            }
            body.put("epochs", epochs);
        }
        return body;
    }
}
