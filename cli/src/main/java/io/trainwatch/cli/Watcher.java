package io.trainwatch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Follows one run over SSE ({@code /api/v1/runs/{id}/events}): a line per epoch, alerts and changes of the
 * recommendation highlighted, a progress bar on a terminal, and the exit code of the run's final status. A lost
 * connection is resumed with {@code Last-Event-ID}, which the server answers with exactly what was missed.
 */
final class Watcher {

    /** How the watcher waits between attempts; tests pass one that does not sleep. */
    interface Pause {
        void sleep(Duration d) throws InterruptedException;
    }

    static final int MAX_CONSECUTIVE_FAILURES = 10;
    /** Three missed heartbeats (metrics-api sends one every 15 s): the connection is dead even if TCP has not said so. */
    static final Duration DEFAULT_IDLE_LIMIT = Duration.ofSeconds(45);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    static final int BAR_WIDTH = 30;
    private static final int DURATIONS_KEPT = 5;

    private final ApiClient api;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Style style;
    private final boolean progressBar;
    private final Duration waitForRun;
    private final Pause pause;
    private final Duration idleLimit;
    private final ObjectMapper mapper;

    private String runId;
    private String status;
    private Integer totalEpochs;
    private Integer latestEpoch;
    private Double statusEtaSeconds;
    private String lastAction = "continue";
    private final Deque<Long> recentDurationsMs = new ArrayDeque<>();
    private int barLength;
    private Integer exitCode;

    Watcher(ApiClient api, PrintWriter out, PrintWriter err, Style style, boolean progressBar, Duration waitForRun, Pause pause) {
        this(api, out, err, style, progressBar, waitForRun, pause, DEFAULT_IDLE_LIMIT);
    }

    Watcher(ApiClient api, PrintWriter out, PrintWriter err, Style style, boolean progressBar, Duration waitForRun, Pause pause,
            Duration idleLimit) {
        this.idleLimit = idleLimit;
        this.api = api;
        this.out = out;
        this.err = err;
        this.style = style;
        this.progressBar = progressBar;
        this.waitForRun = waitForRun;
        this.pause = pause;
        this.mapper = api.mapper();
    }

    /** Watches until the run reaches a final status; returns its exit code (see {@link ExitCodes}). */
    int watch(String runId) {
        this.runId = runId;
        String path = ServerCommand.runPath(runId, "/events");
        Instant appearDeadline = Instant.now().plus(waitForRun);
        boolean everConnected = false;
        boolean toldWaiting = false;
        int failures = 0;
        SseParser parser = new SseParser(this::handle);
        while (true) {
            String failure;
            String resumeFrom = parser.lastEventId();
            try (SseConnection connection = api.openEventStream(path, resumeFrom)) {
                everConnected = true;
                String line;
                while ((line = connection.nextLine(idleLimit)) != null) {
                    parser.line(line);
                    if (exitCode != null) {
                        return exitCode;
                    }
                    if (failures > 0 && !java.util.Objects.equals(resumeFrom, parser.lastEventId())) {
                        failures = 0; // a new event arrived: the connection works again
                    }
                }
                failure = "the server closed the stream";
            } catch (ApiClient.HttpStatusException e) {
                if (e.status() == 404 && !everConnected && Instant.now().isBefore(appearDeadline)) {
                    if (!toldWaiting) {
                        err.println(style.dim("waiting for run " + runId + " to appear on metrics-api (up to "
                                + waitForRun.toSeconds() + " s)..."));
                        err.flush();
                        toldWaiting = true;
                    }
                    sleep(Duration.ofSeconds(1));
                    continue;
                }
                boolean transientFailure = e.status() == 0 || e.status() >= 500;
                if (!everConnected || !transientFailure) {
                    throw e;
                }
                failure = e.getMessage();
            } catch (SseConnection.IdleException e) {
                failure = e.getMessage() + " (the server sends a heartbeat every 15 s)";
            } catch (UncheckedIOException e) {
                failure = "connection lost: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
            }
            failures++;
            if (failures > MAX_CONSECUTIVE_FAILURES) {
                clearBar();
                throw new CliException(ExitCodes.ERROR, "lost the stream of run " + runId + " and could not resume it after "
                        + MAX_CONSECUTIVE_FAILURES + " tries: " + failure);
            }
            clearBar();
            err.println(style.dim(failure + "; reconnecting"
                    + (parser.lastEventId() == null ? "" : " after event " + parser.lastEventId()) + "..."));
            err.flush();
            sleep(backoff(failures));
        }
    }

    static Duration backoff(int failures) {
        long ms = 250L << Math.min(failures, 10);
        return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }

    private void sleep(Duration d) {
        try {
            pause.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
    }

    void handle(SseEvent event) {
        JsonNode data;
        try {
            data = mapper.readTree(event.data());
        } catch (JsonProcessingException e) {
            line(style.dim("(skipped a " + event.type() + " event that is not JSON)"));
            return;
        }
        switch (event.type()) {
            case "status" -> onStatus(data);
            case "epoch" -> onEpoch(data);
            case "alert" -> line("alert: " + VerdictText.alert(data, style));
            case "analysis" -> onAnalysis(data);
            default -> {
                // a type added later: nothing to show yet
            }
        }
        drawBar();
    }

    private void onStatus(JsonNode s) {
        if (s.hasNonNull("total_epochs")) {
            totalEpochs = s.get("total_epochs").asInt();
        }
        if (s.hasNonNull("latest_epoch")) {
            latestEpoch = s.get("latest_epoch").asInt();
        }
        if (s.hasNonNull("eta_seconds")) {
            statusEtaSeconds = s.get("eta_seconds").asDouble();
        }
        String next = s.path("status").asText("unknown");
        if (status == null) {
            line(style.bold("watching run " + runId) + (s.hasNonNull("name") ? " (" + s.get("name").asText() + ")" : "")
                    + ": " + next + (latestEpoch == null ? "" : ", " + done() + " epochs done"));
        } else if (!next.equals(status)) {
            if ("cancelling".equals(next)) {
                JsonNode c = s.path("cancel");
                line(style.yellow("cancel requested" + (c.hasNonNull("requested_by") ? " by " + c.get("requested_by").asText() : "")
                        + (c.hasNonNull("reason") ? ": " + c.get("reason").asText() : "")));
            } else if (!ExitCodes.isFinal(next)) {
                line("status: " + next);
            }
        }
        status = next;
        if (ExitCodes.isFinal(next)) {
            int code = ExitCodes.forFinalStatus(next);
            String text = "run " + runId + " " + next + " after " + s.path("epochs_completed").asText(done())
                    + " epochs" + (s.hasNonNull("finish_reason") ? ": " + s.get("finish_reason").asText() : "");
            clearBar();
            out.println(code == ExitCodes.OK ? style.green(text) : code == ExitCodes.RUN_FAILED ? style.red(text) : style.yellow(text));
            out.flush();
            exitCode = code;
        }
    }

    private void onEpoch(JsonNode e) {
        int epoch = e.path("epoch").asInt();
        latestEpoch = latestEpoch == null ? epoch : Math.max(latestEpoch, epoch);
        if (e.hasNonNull("duration_ms")) {
            recentDurationsMs.addLast(e.get("duration_ms").asLong());
            if (recentDurationsMs.size() > DURATIONS_KEPT) {
                recentDurationsMs.removeFirst();
            }
        }
        line(epochLine(e, totalEpochs, etaSeconds()));
    }

    /** "epoch 12  13/40  train_loss 0.4123  val_loss 0.5012  train_acc 85.2%  val_acc 82.1%  ETA 0:34". */
    static String epochLine(JsonNode e, Integer totalEpochs, Double etaSeconds) {
        int epoch = e.path("epoch").asInt();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "epoch %3d", epoch));
        if (totalEpochs != null) {
            b.append(String.format(Locale.ROOT, "  %d/%d", epoch + 1, totalEpochs));
        }
        b.append("  train_loss ").append(Fmt.num(e.get("train_loss")));
        b.append("  val_loss ").append(Fmt.num(e.get("val_loss")));
        if (e.has("train_accuracy")) {
            b.append("  train_acc ").append(Fmt.percent(e.get("train_accuracy")));
        }
        if (e.has("val_accuracy")) {
            b.append("  val_acc ").append(Fmt.percent(e.get("val_accuracy")));
        }
        if (etaSeconds != null) {
            b.append("  ETA ").append(Fmt.duration(etaSeconds));
        }
        return b.toString();
    }

    private void onAnalysis(JsonNode v) {
        JsonNode rec = v.path("recommendation");
        String action = rec.path("action").asText(null);
        if (action == null || action.equals(lastAction)) {
            return;
        }
        lastAction = action;
        line("analysis: " + style.action(action, action.toUpperCase(Locale.ROOT)) + " (confidence "
                + Fmt.percent(rec.get("confidence")) + ")" + (rec.hasNonNull("reason") ? ": " + rec.get("reason").asText() : ""));
    }

    private String done() {
        String d = latestEpoch == null ? "0" : String.valueOf(latestEpoch + 1);
        return totalEpochs == null ? d : d + "/" + totalEpochs;
    }

    /** Remaining epochs × mean of the last few epoch durations; the server's ETA until durations arrive. */
    Double etaSeconds() {
        if (totalEpochs == null || latestEpoch == null) {
            return null;
        }
        if (recentDurationsMs.isEmpty()) {
            return statusEtaSeconds;
        }
        double mean = recentDurationsMs.stream().mapToLong(Long::longValue).average().orElse(0);
        int remaining = Math.max(0, totalEpochs - (latestEpoch + 1));
        return remaining * mean / 1000.0;
    }

    static String bar(int done, int total, Double etaSeconds) {
        int filled = total <= 0 ? 0 : (int) Math.round(BAR_WIDTH * Math.min(1.0, (double) done / total));
        int pct = total <= 0 ? 0 : (int) Math.round(100.0 * Math.min(1.0, (double) done / total));
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] " + done + "/" + total + "  " + pct + "%"
                + (etaSeconds == null ? "" : "  ETA " + Fmt.duration(etaSeconds));
    }

    /** A finished line of output; on a terminal the bar is wiped first and drawn again after the event. */
    private void line(String text) {
        clearBar();
        out.println(text);
        out.flush();
    }

    private void clearBar() {
        if (barLength > 0) {
            out.print("\r" + " ".repeat(barLength) + "\r");
            out.flush();
            barLength = 0;
        }
    }

    private void drawBar() {
        if (!progressBar || exitCode != null || totalEpochs == null) {
            return;
        }
        String bar = bar(latestEpoch == null ? 0 : latestEpoch + 1, totalEpochs, etaSeconds());
        clearBar();
        out.print(bar);
        out.flush();
        barLength = bar.length();
    }
}
