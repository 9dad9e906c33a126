package io.trainwatch.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliParsingTest {

    private static ParseResult parse(String... args) {
        return TrainwatchCli.commandLine(Map.of()).parseArgs(args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T sub(ParseResult r) {
        return (T) r.subcommand().commandSpec().userObject();
    }

    @Test
    void metricsTakesSinceCsvAndCommaSeparatedFields() {
        MetricsCommand m = sub(parse("metrics", "r1", "--since", "4", "--csv", "--fields", "train_loss,val_loss"));
        assertEquals("r1", m.runId);
        assertEquals(4, m.since);
        assertTrue(m.csv);
        assertEquals(List.of("train_loss", "val_loss"), m.fields);
    }

    @Test
    void serverOptionsWorkBeforeAndAfterTheCommandAndTheCommandsOwnWins() {
        ParseResult r = parse("--url", "http://global:1", "runs", "--url", "http://local:2", "--status", "running");
        RunsCommand runs = sub(r);
        assertEquals("http://local:2", runs.metricsApi().baseUrl());
        RunsCommand other = sub(parse("--url", "http://global:1", "runs"));
        assertEquals("http://global:1", other.metricsApi().baseUrl());
        assertEquals("running", runs.status);
    }

    @Test
    void theEnvironmentGivesTheDefaultUrls() {
        CommandLine cl = TrainwatchCli.commandLine(Map.of("TRAINWATCH_URL", "http://env:9", "TRAINWATCH_TRAINER_URL", "http://envt:8/"));
        ShowCommand show = sub(cl.parseArgs("show", "r1"));
        assertEquals("http://env:9", show.metricsApi().baseUrl());
        assertEquals("http://envt:8", show.trainerHost().baseUrl(), "a trailing slash is dropped");
        ShowCommand plain = sub(parse("show", "r1"));
        assertEquals("http://localhost:8080", plain.metricsApi().baseUrl());
        assertEquals("http://localhost:8081", plain.trainerHost().baseUrl());
    }

    @Test
    void trainTakesASpecOrAPresetNotBoth() {
        TrainCommand t = sub(parse("train", "--preset", "overfit", "--epochs", "40", "--watch"));
        assertEquals("overfit", t.source.preset);
        assertNull(t.source.spec);
        assertEquals(40, t.epochs);
        assertTrue(t.watch);

        CliRunner.Result both = CliRunner.run("train", "--preset", "overfit", "--spec", "x.json");
        assertEquals(ExitCodes.ERROR, both.exitCode());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        CliRunner.Result neither = CliRunner.run("train");
        assertEquals(ExitCodes.ERROR, neither.exitCode());
        assertTrue(neither.err().contains("Missing required argument"), neither.err());
    }

    @Test
    void cancelNeedsAReasonAndTakesBy() {
        CancelCommand c = sub(parse("cancel", "r1", "--reason", "overfitting", "--by", "agent-7"));
        assertEquals("overfitting", c.reason);
        assertEquals("agent-7", c.requestedBy);
        CliRunner.Result missing = CliRunner.run("cancel", "r1");
        assertEquals(ExitCodes.ERROR, missing.exitCode());
        assertTrue(missing.err().startsWith("trainwatch: Missing required option: '--reason=<reason>'"), missing.err());
        assertTrue(missing.err().contains("Try 'trainwatch cancel --help'."));
    }

    @Test
    void usageErrorsAreOneLinePlusAHintAndExit3() {
        CliRunner.Result unknown = CliRunner.run("wacth", "r1");
        assertEquals(ExitCodes.ERROR, unknown.exitCode());
        assertTrue(unknown.err().contains("watch"), "suggests the command meant: " + unknown.err());
        assertFalse(unknown.err().contains("at picocli"), "no stack trace");
        CliRunner.Result none = CliRunner.run();
        assertEquals(ExitCodes.ERROR, none.exitCode());
        assertTrue(none.err().contains("a command is required"), none.err());
    }

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        CliRunner.Result help = CliRunner.run("--help");
        assertEquals(0, help.exitCode());
        for (String command : List.of("runs", "show", "metrics", "watch", "analyze", "cancel", "train")) {
            assertTrue(help.out().contains("  " + command + " "), command + " in " + help.out());
        }
        assertTrue(help.out().contains("2  watch: the run was cancelled or stopped early"));
    }

    @Test
    void aBadUrlIsAUsageError() {
        CliRunner.Result r = CliRunner.run("--url", "localhost:8080", "runs");
        assertEquals(ExitCodes.ERROR, r.exitCode());
        assertEquals("trainwatch: metrics-api URL: must be an http(s) URL such as http://localhost:8080, was \"localhost:8080\"",
                r.err().strip());
    }
}
