package io.trainwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Python training script as a real process — {@code docs/examples/pytorch/train_digits.py} (Debian's PyTorch and
 * scikit-learn) or another script — with the {@code trainwatch} client from {@code clients/python} on its PYTHONPATH
 * and its own spool directory.
 */
final class PythonTraining implements AutoCloseable {

    /** Debian's python3-torch and python3-sklearn are importable from this interpreter only (not a pyenv python3). */
    static final String PYTHON = "/usr/bin/python3";
    private static final Pattern RUN_ID = Pattern.compile("(?m)^run_id=(\\S+)$");

    private final Process process;
    private final Path output;

    private PythonTraining(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /** Skips the calling test, saying why, where the interpreter lacks torch or sklearn (CI installs both). */
    static synchronized void assumeTorchAndSklearn() throws InterruptedException {
        if (torchAndSklearn == null) {
            torchAndSklearn = probe();
        }
        assumeTrue(torchAndSklearn, PYTHON + " cannot import torch and sklearn: install Debian's python3-torch and "
                + "python3-sklearn (apt-get install -y python3-torch python3-sklearn) to run this test");
    }

    /** Importing torch takes seconds: asked once per test JVM. */
    private static Boolean torchAndSklearn;

    private static boolean probe() throws InterruptedException {
        boolean present;
        try {
            Process probe = new ProcessBuilder(PYTHON, "-c", "import torch, sklearn").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            present = probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        }
        return present;
    }

    static PythonTraining start(TrainwatchSystem system, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("--project", "e2e", "--name", name, "--seed", "7"));
        command.addAll(args);
        return script(system, name, system.repoRoot.resolve("docs/examples/pytorch/train_digits.py"), command);
    }

    /**
     * Any script that uses the {@code trainwatch} client, given {@code --url} first, then {@code args}; it prints
     * {@code run_id=<id>} once it has a run. Its stdin stays open for {@link #send}.
     */
    static PythonTraining script(TrainwatchSystem system, String name, Path script, List<String> args)
            throws IOException {
        Path work = Files.createTempDirectory("trainwatch-e2e-" + name);
        Path out = work.resolve("train.log");
        List<String> command = new ArrayList<>(List.of(PYTHON, "-u", script.toString(), "--url",
                system.metricsApi.url("")));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(system.repoRoot.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("PYTHONPATH", system.repoRoot.resolve("clients/python").toString());
        pb.environment().put("TRAINWATCH_SPOOL_DIR", work.resolve("spool").toString());
        // One thread: two cores are shared with Kafka, PostgreSQL and the apps; more threads only contend.
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().remove("TRAINWATCH_URL");
        // The client ingests with the system's token (an ingest scope would do; the e2e system preloads one admin token).
        pb.environment().put("TRAINWATCH_TOKEN", TrainwatchSystem.ADMIN_SECRET);
        return new PythonTraining(pb.start(), out);
    }

    /** Writes one line to the script's stdin. */
    void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** Closes the script's stdin (end of input). */
    void endInput() throws IOException {
        process.getOutputStream().close();
    }

    /** The run id the script prints first ({@code run_id=<id>}). */
    String awaitRunId() {
        return await("the script prints run_id=").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the script exited with " + process.exitValue()
                                + " before printing its run id:\n" + transcript());
                    }
                    Matcher m = RUN_ID.matcher(transcript());
                    return m.find() ? m.group(1) : null;
                }, id -> id != null);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits for the script to end by itself; its exit status. */
    int awaitExit(Duration max) throws InterruptedException {
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the script is still running after " + max + ":\n" + transcript());
        }
        return process.exitValue();
    }

    String transcript() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** The run's stored epochs, each exactly once and in order: 0, 1, …, n with no gap (asserted). */
    static List<JsonNode> contiguousEpochs(String run) {
        JsonNode history = Http.json(run + "/metrics").path("epochs");
        List<JsonNode> epochs = new ArrayList<>();
        history.forEach(epochs::add);
        for (int i = 0; i < epochs.size(); i++) {
            assertEquals(i, epochs.get(i).path("epoch").asInt(), "epochs stored 0..n, each once, in order: " + history);
        }
        return epochs;
    }

    static Instant emittedAt(JsonNode epoch) {
        return Instant.parse(epoch.path("emitted_at").asText());
    }
}
