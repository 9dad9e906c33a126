package io.trainwatch.e2e;

import io.trainwatch.testsupport.TopicReader;
import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventType;
import io.trainwatch.contracts.Topics;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The end-of-scenario check of the fault suite (issue 14). A scenario opens a ledger before it injects anything,
 * records every epoch the system acknowledged ({@link #accepted}: after an HTTP 202 or a Kafka ack, duplicates
 * included), and calls {@link #check} at the end, which waits (up to its timeout) and then asserts, with exact counts:
 * <ol>
 *   <li>every accepted epoch is stored exactly once, in per-run order ({@code GET /runs/{id}/metrics});</li>
 *   <li>every run's verdict has caught up to its last accepted epoch ({@code GET /runs/{id}/analysis});</li>
 *   <li>an SSE subscriber that started with {@code Last-Event-ID} when the ledger opened, and resumed with the
 *       last id it had read whenever its stream ended, got every epoch once, in position order;</li>
 *   <li>the insights topic holds an {@code analysis.updated} for each run's last epoch, and it is the run's latest
 *       (among the records written since the ledger opened). Not "exactly one": an epoch that arrives out of order
 *       after the last one changes the verdict of the same last epoch, and that is a new {@code analysis.updated};
 *       the summary line counts them ({@code insights_for_last_epoch}).</li>
 * </ol>
 * It prints one line, {@code FAULTS scenario=… accepted=… stored=… duplicates=0 out_of_order=0 …}, before asserting.
 * Everything goes through the public APIs and the topics, and every read is retried until the timeout, so the ledger
 * also serves scenarios that stop and restart metrics-api ({@link TrainwatchSystem#restartMetricsApi} keeps the port).
 * Only epochs are tracked: they are what the four properties speak of.
 */
final class FaultLedger implements AutoCloseable {

    private final String scenario;
    private final TrainwatchSystem system;
    private final long openedNanos = System.nanoTime();
    /** Per run: epoch → the ce_ids it was accepted under (one per acknowledgement). */
    private final Map<String, Map<Integer, List<String>>> accepted = new ConcurrentHashMap<>();
    private final Map<String, Object> notes = new LinkedHashMap<>();
    private final ResumingSubscriber sse;
    private final TopicReader insights;

    private FaultLedger(String scenario, TrainwatchSystem system) {
        this.scenario = scenario;
        this.system = system;
        this.insights = TopicReader.open(system.stack.kafkaBootstrapServers(), Topics.RUN_INSIGHTS, k -> true, true);
        this.sse = new ResumingSubscriber(Long.toString(currentPosition()));
    }

    /** Opens a ledger: call before the scenario sends anything. */
    static FaultLedger open(String scenario, TrainwatchSystem system) {
        return new FaultLedger(scenario, system);
    }

    /** Records one acknowledged epoch event; call once per acknowledgement (a duplicate sent twice: twice). */
    void accepted(String runId, int epoch, String ceId) {
        accepted.computeIfAbsent(runId, r -> new ConcurrentHashMap<>())
                .computeIfAbsent(epoch, e -> new CopyOnWriteArrayList<>()).add(ceId);
    }

    /** A figure of the scenario's own (what it injected) for the summary line, e.g. {@code note("bad", 2000)}. */
    synchronized FaultLedger note(String key, Object value) {
        notes.put(key, value);
        return this;
    }

    /**
     * What the check found, in counts: {@code insightsLastEpoch} must equal {@code runs}, {@code stored} must equal
     * {@code distinct}; the error counts must be 0; {@code sseResumes} and {@code insightsForLastEpoch} are figures.
     */
    record Result(int runs, int accepted, int distinct, int stored, int duplicates, int outOfOrder, int missing,
                  int unexpected, int verdictsBehind, int sseEvents, int sseDuplicates, int sseOutOfOrder,
                  int sseMissing, int sseResumes, int insightsLastEpoch, int insightsForLastEpoch,
                  long elapsedMs) {
    }

    /**
     * Waits until the four properties hold or {@code timeout} passes, prints the summary line, then asserts each
     * property with its exact count.
     */
    Result check(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, TreeSet<Integer>> expected = new TreeMap<>();
        accepted.forEach((run, epochs) -> expected.put(run, new TreeSet<>(epochs.keySet())));
        int acceptedCount = accepted.values().stream().flatMap(m -> m.values().stream()).mapToInt(List::size).sum();
        int distinct = expected.values().stream().mapToInt(Set::size).sum();

        Map<String, List<Integer>> stored = new HashMap<>();
        Map<String, Integer> verdicts = new HashMap<>();
        untilOrDeadline(deadline, () -> {
            for (String run : expected.keySet()) {
                stored.put(run, history(run));
                verdicts.put(run, verdictEpoch(run));
            }
            return expected.entrySet().stream().allMatch(e -> stored.get(e.getKey()).equals(List.copyOf(e.getValue()))
                    && java.util.Objects.equals(verdicts.get(e.getKey()), e.getValue().last()));
        });
        untilOrDeadline(deadline, () -> sse.covers(expected));
        Map<String, Insights> insightsByRun = new HashMap<>();
        untilOrDeadline(deadline, () -> {
            insightsByRun.clear();
            insightsByRun.putAll(insightsOf(expected));
            return expected.entrySet().stream().allMatch(e -> insightsByRun.containsKey(e.getKey())
                    && insightsByRun.get(e.getKey()).latestEpoch() == e.getValue().last());
        });

        int storedCount = 0;
        int duplicates = 0;
        int outOfOrder = 0;
        int missing = 0;
        int unexpected = 0;
        int behind = 0;
        for (Map.Entry<String, TreeSet<Integer>> e : expected.entrySet()) {
            List<Integer> got = stored.getOrDefault(e.getKey(), List.of());
            storedCount += got.size();
            duplicates += got.size() - new TreeSet<>(got).size();
            for (int i = 1; i < got.size(); i++) {
                if (got.get(i) <= got.get(i - 1)) {
                    outOfOrder++;
                }
            }
            missing += (int) e.getValue().stream().filter(epoch -> !got.contains(epoch)).count();
            unexpected += (int) got.stream().distinct().filter(epoch -> !e.getValue().contains(epoch)).count();
            Integer verdict = verdicts.get(e.getKey());
            if (!java.util.Objects.equals(verdict, e.getValue().last())) {
                behind++;
            }
        }
        ResumingSubscriber.Tally sseTally = sse.tally(expected);
        int insightsOk = (int) expected.entrySet().stream().filter(e -> insightsByRun.containsKey(e.getKey())
                && insightsByRun.get(e.getKey()).latestEpoch() == e.getValue().last()).count();
        int insightsForLast = insightsByRun.values().stream().mapToInt(Insights::forLastEpoch).sum();
        Result result = new Result(expected.size(), acceptedCount, distinct, storedCount, duplicates, outOfOrder, missing,
                unexpected, behind, sseTally.events(), sseTally.duplicates(), sseTally.outOfOrder(), sseTally.missing(),
                sse.resumes(), insightsOk, insightsForLast, (System.nanoTime() - openedNanos) / 1_000_000);
        System.out.println(summary(result));

        assertEquals(0, missing, "accepted epochs missing from the history");
        assertEquals(0, duplicates, "epochs stored twice");
        assertEquals(0, outOfOrder, "history out of per-run order");
        assertEquals(0, unexpected, "epochs stored that were never accepted");
        assertEquals(distinct, storedCount, "stored = distinct accepted epochs");
        assertEquals(0, behind, "verdicts not caught up to their run's last epoch: " + verdicts);
        assertEquals(0, sseTally.missing(), "epochs the resuming SSE subscriber never got");
        assertEquals(0, sseTally.duplicates(), "epochs the resuming SSE subscriber got twice");
        assertEquals(0, sseTally.outOfOrder(), "SSE events out of position order");
        assertEquals(expected.size(), insightsOk, "runs whose latest analysis.updated is for their last epoch: "
                + insightsByRun);
        return result;
    }

    private synchronized String summary(Result r) {
        StringBuilder line = new StringBuilder("FAULTS scenario=").append(scenario)
                .append(" runs=").append(r.runs()).append(" accepted=").append(r.accepted())
                .append(" distinct=").append(r.distinct()).append(" stored=").append(r.stored())
                .append(" duplicates=").append(r.duplicates()).append(" out_of_order=").append(r.outOfOrder())
                .append(" missing=").append(r.missing()).append(" unexpected=").append(r.unexpected())
                .append(" verdicts_behind=").append(r.verdictsBehind())
                .append(" sse_events=").append(r.sseEvents()).append(" sse_duplicates=").append(r.sseDuplicates())
                .append(" sse_out_of_order=").append(r.sseOutOfOrder()).append(" sse_missing=").append(r.sseMissing())
                .append(" sse_resumes=").append(r.sseResumes())
                .append(" insights_last_epoch=").append(r.insightsLastEpoch()).append('/').append(r.runs())
                .append(" insights_for_last_epoch=").append(r.insightsForLastEpoch());
        notes.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        return line.append(" elapsed_ms=").append(r.elapsedMs()).toString();
    }

    /** The change position now: the id of the status event a fresh per-run stream starts with. */
    private long currentPosition() {
        String marker = "faults-" + scenario + "-" + System.nanoTime();
        Http.Reply created = Http.post(api("/api/v1/runs"), Map.of("run_id", marker, "project", "faults", "name", scenario));
        if (created.status() != 202) {
            throw new AssertionError("marker run: " + created.status() + " " + created.raw());
        }
        try (SseStream first = new SseStream(URI.create(api("/api/v1/runs/" + marker + "/events")), "status", null)) {
            await("status event of the marker run").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !first.events().isEmpty());
            return first.events().get(0).position();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<Integer> history(String run) {
        Http.Reply r = Http.get(api("/api/v1/runs/" + run + "/metrics?fields=train_loss"));
        if (r.status() != 200 || r.body() == null) {
            return List.of();
        }
        List<Integer> epochs = new ArrayList<>();
        r.body().path("epochs").forEach(e -> epochs.add(e.path("epoch").asInt()));
        return epochs;
    }

    private Integer verdictEpoch(String run) {
        Http.Reply r = Http.get(api("/api/v1/runs/" + run + "/analysis"));
        return r.status() == 200 && r.body() != null && r.body().hasNonNull("epoch") ? r.body().path("epoch").asInt() : null;
    }

    /** What the insights topic says of one run: its analysis.updated records for its last epoch, and its latest one's epoch. */
    private record Insights(int forLastEpoch, int latestEpoch) {
    }

    /** Per run: its analysis.updated records on the insights topic since the ledger opened (one partition per run). */
    private Map<String, Insights> insightsOf(Map<String, TreeSet<Integer>> expected) {
        Map<String, Insights> out = new HashMap<>();
        for (TopicReader.Received r : insights.untilCaughtUp(Duration.ofSeconds(30))) {
            TreeSet<Integer> epochs = expected.get(r.key());
            // fromCeType: the prefixed type, or the bare one an earlier metrics-api published
            if (epochs == null || EventType.fromCeType(r.header(CloudEvents.H_TYPE)).orElse(null) != EventType.ANALYSIS_UPDATED) {
                continue;
            }
            int epoch;
            try {
                epoch = Http.JSON.readTree(r.value()).path("epoch").asInt(-1);
            } catch (IOException e) {
                throw new AssertionError("analysis.updated that is not JSON on " + Topics.RUN_INSIGHTS, e);
            }
            Insights before = out.getOrDefault(r.key(), new Insights(0, -1));
            out.put(r.key(), new Insights(before.forLastEpoch() + (epoch == epochs.last() ? 1 : 0), epoch));
        }
        return out;
    }

    private String api(String path) {
        return system.metricsApi.url(path);
    }

    private static void untilOrDeadline(long deadline, java.util.concurrent.Callable<Boolean> condition) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            // An earlier property used the time up: read this one once (the condition fills in what is asserted).
            try {
                condition.call();
            } catch (Exception e) {
                // The assertions that follow say what is wrong, with counts.
            }
            return;
        }
        try {
            await().atMost(Duration.ofNanos(left)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // The assertions that follow say what is wrong, with counts.
        }
    }

    @Override
    public void close() {
        sse.close();
        insights.close();
    }

    /**
     * An SSE subscriber of every run's epochs that starts with a Last-Event-ID and, whenever its stream ends (the
     * server closed it after a buffer's worth of replay, dropped it, or restarted), reconnects with the last id it read.
     */
    private final class ResumingSubscriber implements AutoCloseable {

        record Tally(int events, int duplicates, int outOfOrder, int missing) {
        }

        private final List<SseStream.Event> events = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean closed;
        private volatile SseStream current;
        private volatile int resumes;

        ResumingSubscriber(String from) {
            thread = new Thread(() -> run(from), "faults-sse-" + scenario);
            thread.setDaemon(true);
            thread.start();
        }

        private void run(String from) {
            String last = from;
            while (!closed) {
                try (SseStream stream = new SseStream(URI.create(api("/api/v1/events?types=epoch")), "epoch", last)) {
                    current = stream;
                    int taken = 0;
                    while (!stream.ended() && !closed) {
                        taken = drain(stream, taken);
                        Thread.sleep(20);
                    }
                    drain(stream, taken);
                    List<SseStream.Event> got = stream.events();
                    if (!got.isEmpty()) {
                        last = got.get(got.size() - 1).id();
                    }
                } catch (IOException | RuntimeException e) {
                    // metrics-api away: try again below
                } catch (InterruptedException e) {
                    return;
                }
                if (!closed) {
                    resumes++;
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        private int drain(SseStream stream, int taken) {
            List<SseStream.Event> got = stream.events();
            for (int i = taken; i < got.size(); i++) {
                events.add(got.get(i));
            }
            return got.size();
        }

        boolean covers(Map<String, TreeSet<Integer>> expected) {
            Map<String, Set<Integer>> seen = new HashMap<>();
            for (SseStream.Event e : events) {
                seen.computeIfAbsent(e.runId(), r -> new java.util.HashSet<>()).add(e.epoch());
            }
            return expected.entrySet().stream().allMatch(e -> seen.getOrDefault(e.getKey(), Set.of()).containsAll(e.getValue()));
        }

        Tally tally(Map<String, TreeSet<Integer>> expected) {
            int count = 0;
            int duplicates = 0;
            int outOfOrder = 0;
            long lastPosition = -1;
            Map<String, Set<Integer>> seen = new HashMap<>();
            for (SseStream.Event e : events) {
                if (!expected.containsKey(e.runId())) {
                    continue;
                }
                count++;
                if (!seen.computeIfAbsent(e.runId(), r -> new java.util.HashSet<>()).add(e.epoch())) {
                    duplicates++;
                }
                if (e.position() <= lastPosition) {
                    outOfOrder++;
                }
                lastPosition = e.position();
            }
            int missing = 0;
            for (Map.Entry<String, TreeSet<Integer>> e : expected.entrySet()) {
                Set<Integer> got = seen.getOrDefault(e.getKey(), Set.of());
                missing += (int) e.getValue().stream().filter(epoch -> !got.contains(epoch)).count();
            }
            return new Tally(count, duplicates, outOfOrder, missing);
        }

        int resumes() {
            return resumes;
        }

        @Override
        public void close() {
            closed = true;
            SseStream s = current;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            thread.interrupt();
        }
    }
}
