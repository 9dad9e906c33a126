package io.trainwatch.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.trainwatch.contracts.EventCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI against an in-test HTTP server serving canned answers: a unit test of the client side (requests sent,
 * answers shown, errors reduced to one line). The real servers are exercised end to end elsewhere.
 */
@org.junit.jupiter.api.Timeout(30) // a watch that never ends must fail the test, not hang the build
class CliHttpTest {

    /** What the stub received. */
    record Received(String method, String uri, Map<String, List<String>> headers, String body) {
    }

    interface Handler {
        void handle(HttpExchange exchange, Received request) throws IOException;
    }

    private HttpServer server;
    private String url;
    private final Map<String, Handler> routes = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Received r = new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    Map.copyOf(exchange.getRequestHeaders()), body);
            received.add(r);
            Handler h = routes.get(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            try {
                if (h == null) {
                    send(exchange, 404, "application/problem+json", "{\"type\":\"urn:trainwatch:problem:run-not-found\","
                            + "\"title\":\"Run not found\",\"status\":404,\"detail\":\"no run with id \\\"nope\\\"\",\"errors\":[]}");
                } else {
                    h.handle(exchange, r);
                }
            } finally {
                exchange.close();
            }
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private void json(String route, String body) {
        routes.put(route, (ex, r) -> send(ex, 200, "application/json", body));
    }

    /** An SSE answer: the given raw event text, then the stream closes. */
    private void sse(String route, String... streams) {
        AtomicInteger connection = new AtomicInteger();
        routes.put(route, (ex, r) -> {
            String text = streams[Math.min(connection.getAndIncrement(), streams.length - 1)];
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            // Each stream on its own connection: the end of the stream is the connection closing, as when a server drops.
            ex.getResponseHeaders().set("Connection", "close");
            ex.sendResponseHeaders(200, 0);
            OutputStream os = ex.getResponseBody();
            os.write(text.getBytes(StandardCharsets.UTF_8));
            os.flush();
        });
    }

    private CliRunner.Result cli(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = url;
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRunner.run(Map.of(), all);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void anUnknownRunIsOneLineFromTheProblemAndExit3() {
        for (String command : List.of("show", "analyze", "metrics", "watch")) {
            CliRunner.Result r = cli(command, "nope");
            assertEquals(ExitCodes.ERROR, r.exitCode(), command);
            assertEquals("trainwatch: metrics-api: 404 Run not found: no run with id \"nope\"", r.err().strip(), command);
            assertEquals("", r.out(), command);
        }
    }

    @Test
    void aDownServerIsOneLineAndExit3() throws IOException {
        int port = closedPort();
        for (String[] args : List.of(new String[]{"runs"}, new String[]{"watch", "r1"}, new String[]{"cancel", "r1", "--reason", "x"})) {
            String[] all = new String[args.length + 2];
            all[0] = "--url";
            all[1] = "http://127.0.0.1:" + port;
            System.arraycopy(args, 0, all, 2, args.length);
            CliRunner.Result r = CliRunner.run(Map.of(), all);
            assertEquals(ExitCodes.ERROR, r.exitCode(), args[0]);
            assertEquals("trainwatch: cannot reach metrics-api at http://127.0.0.1:" + port + ": connection refused; is it running?",
                    r.err().strip(), args[0]);
        }
        CliRunner.Result train = CliRunner.run(Map.of(), "--trainer-url", "http://127.0.0.1:" + port, "train", "--preset", "healthy");
        assertEquals(ExitCodes.ERROR, train.exitCode());
        assertTrue(train.err().startsWith("trainwatch: cannot reach trainer-host at"), train.err());
    }

    @Test
    void runsIsATableAndSendsTheFilters() {
        json("GET /api/v1/runs", """
                {"runs": [{"run_id": "r-1", "name": "spirals", "project": "demo", "status": "running", "total_epochs": 40,
                           "latest_epoch": 12, "epochs_recorded": 13, "progress_percent": 32.5, "started_at": "2026-11-24T08:00:00Z"},
                          {"run_id": "r-0", "status": "queued", "epochs_recorded": 0}],
                 "next_cursor": "azE"}
                """);
        CliRunner.Result r = cli("runs", "--status", "running", "--project", "demo", "--tag", "a b");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("/api/v1/runs?limit=50&status=running&project=demo&tag=a+b", received.get(0).uri());
        List<String> lines = r.out().lines().toList();
        assertEquals("RUN  NAME     PROJECT  STATUS   EPOCHS  PROGRESS  STARTED", lines.get(0));
        assertEquals("r-1  spirals  demo     running  13/40   32.5%     2026-11-24T08:00:00Z", lines.get(1));
        assertEquals("r-0  -        -        queued   0       -         -", lines.get(2));
        assertTrue(lines.get(3).startsWith("(more runs"));
    }

    @Test
    void showPrintsStatusProgressAndTheHeadline() {
        json("GET /api/v1/runs/r-1", """
                {"run_id": "r-1", "name": "spirals", "status": "cancelling", "total_epochs": 40, "latest_epoch": 12,
                 "progress_percent": 32.5, "eta_seconds": 95.0,
                 "cancel": {"reason": "overfitting", "requested_by": "agent"},
                 "latest": {"epoch": 12, "train_loss": 0.31, "val_loss": 0.52, "val_accuracy": 0.81},
                 "analysis": {"best_epoch": 8, "best_val_loss": 0.48, "epochs_since_improvement": 4,
                              "recommendation": {"action": "stop", "confidence": 0.8, "reason": "val loss rising"}}}
                """);
        CliRunner.Result r = cli("show", "r-1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Epochs:   13/40  (32.5%)  ETA 1:35"), r.out());
        assertTrue(r.out().contains("Cancel:   requested by agent: overfitting"));
        assertTrue(r.out().contains("Latest:   epoch 12  train_loss 0.3100  val_loss 0.5200  val_acc 81.0%"));
        assertTrue(r.out().contains("Verdict:  STOP (confidence 80.0%): val loss rising"));
        assertTrue(r.out().contains("Best:     epoch 8 (val_loss 0.4800), 4 epochs since improvement"));
    }

    @Test
    void metricsTableCsvAndNoMetricsYet() {
        json("GET /api/v1/runs/r-1/metrics", """
                {"run_id": "r-1", "count": 2, "downsampled": false,
                 "epochs": [{"epoch": 3, "train_loss": 0.5, "val_loss": "NaN"}, {"epoch": 4, "train_loss": 0.25}]}
                """);
        CliRunner.Result r = cli("metrics", "r-1", "--since", "2", "--fields", "train_loss,val_loss");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("/api/v1/runs/r-1/metrics?since_epoch=2&fields=train_loss%2Cval_loss", received.get(0).uri());
        assertEquals(List.of("epoch  train_loss  val_loss", "3      0.5000      NaN", "4      0.2500      -"), r.out().lines().toList());

        routes.put("GET /api/v1/runs/r-1/metrics", (ex, req) -> send(ex, 200, "text/csv; charset=utf-8", "epoch,train_loss\n3,0.5\n"));
        CliRunner.Result csv = cli("metrics", "r-1", "--csv", "--fields", "train_loss");
        assertEquals("epoch,train_loss\n3,0.5\n", csv.out());
        assertTrue(received.get(1).uri().endsWith("&format=csv"), received.get(1).uri());

        json("GET /api/v1/runs/r-1/metrics", "{\"run_id\": \"r-1\", \"count\": 0, \"downsampled\": false, \"epochs\": []}");
        assertEquals("no metrics yet for run r-1\n", cli("metrics", "r-1").out());
    }

    @Test
    void analyzeInWordsAndAsJson() {
        json("GET /api/v1/runs/r1/analysis", VerdictTextTest.OVERFITTING);
        CliRunner.Result words = cli("analyze", "r1");
        assertEquals(0, words.exitCode(), words.err());
        assertTrue(words.out().startsWith("Run r1 (running), analysed up to epoch 41\nRecommendation: STOP (confidence 85.0%)\n"), words.out());
        CliRunner.Result raw = cli("analyze", "r1", "--json");
        assertTrue(raw.out().contains("\"best_val_loss\" : 0.6789"), raw.out());
    }

    @Test
    void cancelPostsTheReasonAndWhoAsks() throws Exception {
        routes.put("POST /api/v1/runs/r1/cancel", (ex, r) -> send(ex, 202, "application/json",
                "{\"run_id\": \"r1\", \"accepted\": 1, \"status\": \"cancelling\"}"));
        CliRunner.Result r = cli("cancel", "r1", "--reason", "val loss rising", "--by", "me");
        assertEquals(0, r.exitCode(), r.err());
        var body = EventCodec.newMapper().readTree(received.get(0).body());
        assertEquals("val loss rising", body.get("reason").asText());
        assertEquals("me", body.get("requested_by").asText());
        assertEquals(List.of("application/json"), received.get(0).headers().get("Content-type"));
        assertEquals("cancel requested for run r1: status cancelling (reason: val loss rising)\n", r.out());

        routes.put("POST /api/v1/runs/r1/cancel", (ex, req) -> send(ex, 409, "application/problem+json",
                "{\"title\":\"Run already finished\",\"status\":409,\"detail\":\"run \\\"r1\\\" already finished with status completed\","
                        + "\"errors\":[]}"));
        CliRunner.Result late = cli("cancel", "r1", "--reason", "x");
        assertEquals(ExitCodes.ERROR, late.exitCode());
        assertEquals("trainwatch: metrics-api: 409 Run already finished: run \"r1\" already finished with status completed",
                late.err().strip());
    }

    @Test
    void deleteSendsDeleteAndAnUnknownRunIsAnError() {
        routes.put("DELETE /api/v1/runs/r1", (ex, r) -> send(ex, 204, "application/json", ""));
        CliRunner.Result r = cli("delete", "r1");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("DELETE", received.get(0).method());
        assertEquals("run r1 deleted\n", r.out());

        routes.put("DELETE /api/v1/runs/r2", (ex, req) -> send(ex, 404, "application/problem+json",
                "{\"title\":\"Run not found\",\"status\":404,\"detail\":\"no run with id \\\"r2\\\"\"}"));
        CliRunner.Result unknown = cli("delete", "r2");
        assertEquals(ExitCodes.ERROR, unknown.exitCode());
        assertEquals("trainwatch: metrics-api: 404 Run not found: no run with id \"r2\"", unknown.err().strip());

        // the token goes along (TRAINWATCH_TOKEN, or --token); a token without the control scope is refused
        assertEquals(0, CliRunner.run(Map.of("TRAINWATCH_TOKEN", "tw_env"), "--url", url, "delete", "r1").exitCode());
        assertEquals(List.of("Bearer tw_env"), received.get(received.size() - 1).headers().get("Authorization"));
        routes.put("DELETE /api/v1/runs/r3", (ex, req) -> send(ex, 403, "application/problem+json",
                "{\"title\":\"Forbidden\",\"status\":403,\"detail\":\"token \\\"ro\\\" lacks the scope control this "
                        + "request needs (it has read)\"}"));
        CliRunner.Result refused = CliRunner.run(Map.of(), "--url", url, "--token", "tw_ro", "delete", "r3");
        assertEquals(List.of("Bearer tw_ro"), received.get(received.size() - 1).headers().get("Authorization"));
        assertEquals(ExitCodes.ERROR, refused.exitCode());
        assertTrue(refused.err().contains("403 Forbidden: token \"ro\" lacks the scope control"), refused.err());
    }

    @Test
    void fieldErrorsOfAProblemAreShown() {
        routes.put("POST /api/v1/jobs", (ex, r) -> send(ex, 422, "application/problem+json",
                "{\"title\":\"Invalid fields\",\"status\":422,\"detail\":\"2 fields are invalid; see errors\","
                        + "\"errors\":[{\"field\":\"preset\",\"message\":\"must be one of overfit, plateau\"},"
                        + "{\"field\":\"epochs\",\"message\":\"must be >= 1\"}]}"));
        CliRunner.Result r = CliRunner.run(Map.of(), "--trainer-url", url, "train", "--preset", "x");
        assertEquals(ExitCodes.ERROR, r.exitCode());
        assertEquals("trainwatch: trainer-host: 422 Invalid fields: 2 fields are invalid; see errors "
                + "(preset: must be one of overfit, plateau; epochs: must be >= 1)", r.err().strip());
    }

    @Test
    void trainSubmitsAPresetWithEpochsAndPrintsTheRunIdAlone() throws Exception {
        routes.put("POST /api/v1/jobs", (ex, r) -> send(ex, 202, "application/json",
                "{\"run_id\": \"run-42\", \"status\": \"queued\", \"total_epochs\": 40}"));
        CliRunner.Result r = CliRunner.run(Map.of("TRAINWATCH_TRAINER_URL", url), "train", "--preset", "overfit", "--epochs", "40");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("run-42\n", r.out());
        assertEquals("{\"preset\":\"overfit\",\"epochs\":40}", received.get(0).body());
        assertTrue(r.err().contains("submitted preset overfit, 40 epochs to trainer-host as run run-42"), r.err());
    }

    @Test
    void trainWithASpecFileOverridesItsEpochs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path spec = dir.resolve("spec.json");
        java.nio.file.Files.writeString(spec, "{\"name\": \"mlp\", \"epochs\": 5, \"model\": {\"type\": \"mlp\"}}");
        routes.put("POST /api/v1/jobs", (ex, r) -> send(ex, 202, "application/json", "{\"run_id\": \"run-43\"}"));
        CliRunner.Result r = CliRunner.run(Map.of(), "--trainer-url", url, "train", "--spec", spec.toString(), "--epochs", "7");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("{\"name\":\"mlp\",\"epochs\":7,\"model\":{\"type\":\"mlp\"}}", received.get(0).body());

        CliRunner.Result missing = CliRunner.run(Map.of(), "--trainer-url", url, "train", "--spec", dir.resolve("no.json").toString());
        assertEquals(ExitCodes.ERROR, missing.exitCode());
        assertTrue(missing.err().startsWith("trainwatch: --spec " + dir.resolve("no.json") + ": cannot be read"), missing.err());
    }

    static final String STATUS_RUNNING = "{\"run_id\":\"r1\",\"name\":\"spirals\",\"status\":\"running\",\"total_epochs\":3}";

    static String event(String id, String type, String data) {
        return "id: " + id + "\nevent: " + type + "\ndata: " + data + "\n\n";
    }

    @Test
    void watchPrintsEpochsAlertsAndTheVerdictAndExitsWithTheOutcome() {
        sse("GET /api/v1/runs/r1/events", ":connected\n\n"
                + event("r1/1", "status", STATUS_RUNNING)
                + event("r1/2", "epoch", "{\"run_id\":\"r1\",\"epoch\":0,\"train_loss\":0.9,\"val_loss\":1.0,\"val_accuracy\":0.5,\"duration_ms\":1000}")
                + ": heartbeat\n\n"
                + event("r1/3", "epoch", "{\"run_id\":\"r1\",\"epoch\":1,\"train_loss\":0.5,\"val_loss\":1.2,\"duration_ms\":3000}")
                + event("r1/4", "alert", "{\"id\":\"a1\",\"kind\":\"overfitting\",\"severity\":\"warning\",\"opened_epoch\":1,\"state\":\"open\",\"message\":\"val loss rising\"}")
                + event("r1/5", "analysis", "{\"epoch\":1,\"recommendation\":{\"action\":\"stop\",\"confidence\":0.85,\"reason\":\"val loss rose\"}}")
                + event("r1/6", "status", "{\"run_id\":\"r1\",\"status\":\"cancelling\",\"total_epochs\":3,\"cancel\":{\"reason\":\"val loss rose\",\"requested_by\":\"agent\"}}")
                + event("r1/7", "status", "{\"run_id\":\"r1\",\"status\":\"cancelled\",\"total_epochs\":3,\"epochs_completed\":2,\"finish_reason\":\"val loss rose\"}"));
        CliRunner.Result r = cli("watch", "r1", "--no-color");
        assertEquals(ExitCodes.RUN_STOPPED, r.exitCode(), r.err());
        assertEquals(List.of(
                "watching run r1 (spirals): running",
                "epoch   0  1/3  train_loss 0.9000  val_loss 1.0000  val_acc 50.0%  ETA 0:02",
                "epoch   1  2/3  train_loss 0.5000  val_loss 1.2000  ETA 0:02",
                "alert: [WARNING] overfitting (epoch 1): val loss rising",
                "analysis: STOP (confidence 85.0%): val loss rose",
                "cancel requested by agent: val loss rose",
                "run r1 cancelled after 2 epochs: val loss rose"), r.out().lines().toList());
        assertFalse(r.out().contains("\u001b["), "no colour when not a terminal");
        assertNull(received.get(0).headers().get("Last-event-id"), "a fresh connection sends no Last-Event-ID");
    }

    @Test
    void watchOfACompletedOrFailedRunExits0Or1() {
        sse("GET /api/v1/runs/ok/events", event("ok/9", "status", "{\"run_id\":\"ok\",\"status\":\"completed\",\"epochs_completed\":40,\"total_epochs\":40,\"latest_epoch\":39}"));
        sse("GET /api/v1/runs/bad/events", event("bad/9", "status", "{\"run_id\":\"bad\",\"status\":\"failed\",\"finish_reason\":\"loss is NaN\"}"));
        CliRunner.Result ok = cli("watch", "ok");
        assertEquals(ExitCodes.OK, ok.exitCode(), ok.err());
        assertTrue(ok.out().endsWith("run ok completed after 40 epochs\n"), ok.out());
        CliRunner.Result bad = cli("watch", "bad");
        assertEquals(ExitCodes.RUN_FAILED, bad.exitCode());
        assertTrue(bad.out().contains("run bad failed after 0 epochs: loss is NaN"), bad.out());
    }

    @Test
    void watchResumesWithLastEventIdAfterTheStreamDrops() {
        sse("GET /api/v1/runs/r1/events",
                event("r1/1", "status", STATUS_RUNNING) + event("r1/2", "epoch", "{\"epoch\":0,\"train_loss\":0.9}"),
                event("r1/3", "epoch", "{\"epoch\":1,\"train_loss\":0.8}")
                        + event("r1/4", "status", "{\"run_id\":\"r1\",\"status\":\"completed\",\"epochs_completed\":2}"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        Watcher w = new Watcher(new ApiClient("metrics-api", url), new PrintWriter(out, true), new PrintWriter(err, true),
                Style.PLAIN, false, Duration.ZERO, pauses::add);
        assertEquals(ExitCodes.OK, w.watch("r1"));
        assertEquals(2, received.size());
        assertEquals(List.of("r1/2"), received.get(1).headers().get("Last-event-id"), "resumes after the last event seen");
        assertEquals(List.of("epoch   0  1/3  train_loss 0.9000  val_loss -", "epoch   1  2/3  train_loss 0.8000  val_loss -"),
                out.toString().lines().filter(l -> l.startsWith("epoch")).toList(), "each epoch once");
        assertTrue(err.toString().contains("the server closed the stream; reconnecting after event r1/2..."), err.toString());
        assertEquals(List.of(Watcher.backoff(1)), pauses);
    }

    @Test
    void watchGivesUpAfterRepeatedFailures() {
        sse("GET /api/v1/runs/r1/events", event("r1/1", "status", STATUS_RUNNING));
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        Watcher w = new Watcher(new ApiClient("metrics-api", url), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()), Style.PLAIN, false, Duration.ZERO, pauses::add);
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> w.watch("r1"));
        assertEquals(ExitCodes.ERROR, e.exitCode());
        assertTrue(e.getMessage().startsWith("lost the stream of run r1 and could not resume it after 10 tries"), e.getMessage());
        assertEquals(Watcher.MAX_CONSECUTIVE_FAILURES, pauses.size());
    }

    @Test
    void watchReconnectsWhenTheStreamGoesSilent() {
        AtomicInteger calls = new AtomicInteger();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        routes.put("GET /api/v1/runs/r1/events", (ex, r) -> {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream os = ex.getResponseBody();
            if (calls.incrementAndGet() == 1) {
                os.write(event("r1/1", "status", STATUS_RUNNING).getBytes(StandardCharsets.UTF_8));
                os.flush();
                try {
                    release.await(); // silent: no events, no heartbeats, and no end, like a half-open connection
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            os.write(event("r1/2", "status", "{\"status\":\"completed\",\"epochs_completed\":3}").getBytes(StandardCharsets.UTF_8));
        });
        StringWriter err = new StringWriter();
        Watcher w = new Watcher(new ApiClient("metrics-api", url), new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                Style.PLAIN, false, Duration.ZERO, d -> { }, Duration.ofMillis(300));
        try {
            assertEquals(ExitCodes.OK, w.watch("r1"));
        } finally {
            release.countDown();
        }
        assertEquals(2, calls.get());
        assertEquals(List.of("r1/1"), received.get(1).headers().get("Last-event-id"));
        assertTrue(err.toString().contains("no data for 0 s (the server sends a heartbeat every 15 s); reconnecting after event r1/1"),
                err.toString());
    }

    @Test
    void watchWaitsForARunThatIsNotThereYet() {
        AtomicInteger calls = new AtomicInteger();
        routes.put("GET /api/v1/runs/r1/events", (ex, r) -> {
            if (calls.incrementAndGet() < 3) {
                send(ex, 404, "application/problem+json", "{\"title\":\"Run not found\",\"status\":404,\"detail\":\"no run\"}");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write(event("r1/1", "status", "{\"status\":\"completed\"}").getBytes(StandardCharsets.UTF_8));
        });
        StringWriter err = new StringWriter();
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        Watcher w = new Watcher(new ApiClient("metrics-api", url), new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                Style.PLAIN, false, Duration.ofMinutes(1), pauses::add);
        assertEquals(ExitCodes.OK, w.watch("r1"));
        assertEquals(3, calls.get());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1)), pauses);
        assertEquals(1, err.toString().lines().count(), "says once that it waits: " + err);
    }

    @Test
    void theProgressBarIsDrawnAndWipedOnATerminal() {
        assertEquals("[##########--------------------] 1/3  33%  ETA 0:20", Watcher.bar(1, 3, 20.0));
        assertEquals("[------------------------------] 0/0  0%", Watcher.bar(0, 0, null));
        sse("GET /api/v1/runs/r1/events", event("r1/1", "status", STATUS_RUNNING)
                + event("r1/2", "epoch", "{\"epoch\":0,\"train_loss\":0.9,\"duration_ms\":10000}")
                + event("r1/3", "status", "{\"status\":\"completed\",\"epochs_completed\":1}"));
        StringWriter out = new StringWriter();
        Watcher w = new Watcher(new ApiClient("metrics-api", url), new PrintWriter(out, true), new PrintWriter(new StringWriter()),
                Style.PLAIN, true, Duration.ZERO, d -> { });
        assertEquals(0, w.watch("r1"));
        String text = out.toString();
        assertTrue(text.contains("[##########--------------------] 1/3  33%  ETA 0:20"), text);
        assertTrue(text.contains("\r" + " ".repeat("[##########--------------------] 1/3  33%  ETA 0:20".length()) + "\r"), "wiped before the next line");
        assertTrue(text.endsWith("run r1 completed after 1 epochs\n"), text);
    }

    @Test
    void everyRequestCarriesTheTokenFromTheOptionOrTheEnvironmentAndTokenCommandsUseTheTokensApi() {
        json("GET /api/v1/runs", "{\"runs\":[]}");
        routes.put("POST /api/v1/tokens", (ex, r) -> send(ex, 201, "application/json",
                "{\"id\":7,\"name\":\"ci\",\"scopes\":[\"read\"],\"secret\":\"tw_s3cret\"}"));
        routes.put("DELETE /api/v1/tokens/ci", (ex, r) -> send(ex, 204, "application/json", ""));

        assertEquals(0, CliRunner.run(Map.of("TRAINWATCH_TOKEN", "tw_from_env"), "--url", url, "runs").exitCode());
        assertEquals(List.of("Bearer tw_from_env"), received.get(received.size() - 1).headers().get("Authorization"));
        assertEquals(0, CliRunner.run(Map.of("TRAINWATCH_TOKEN", "tw_from_env"), "--url", url, "--token", "tw_option", "runs").exitCode());
        assertEquals(List.of("Bearer tw_option"), received.get(received.size() - 1).headers().get("Authorization"));

        CliRunner.Result created = CliRunner.run(Map.of("TRAINWATCH_TOKEN", "tw_admin"), "--url", url, "token", "create", "ci",
                "--scopes", "read");
        assertEquals(0, created.exitCode(), created.err());
        assertTrue(created.out().contains("tw_s3cret"), created.out());
        Received post = received.get(received.size() - 1);
        assertTrue(post.body().contains("\"scopes\":[\"read\"]") && post.body().contains("\"name\":\"ci\""), post.body());
        assertEquals(0, CliRunner.run(Map.of("TRAINWATCH_TOKEN", "tw_admin"), "--url", url, "token", "revoke", "ci").exitCode());
        assertEquals("DELETE", received.get(received.size() - 1).method());
    }
}
