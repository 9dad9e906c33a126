package io.trainwatch.metrics.bench;

import io.trainwatch.metrics.TestAuth;

import io.trainwatch.testsupport.SseClient;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The subscriber side of the SSE fan-out benchmark, in its own JVM (each SSE connection costs a file descriptor at
 * both ends; one process for both would need twice the limit). Opens {@code n} SSE connections to one metrics-api —
 * even ones to {@code /api/v1/events?project=P}, odd ones to {@code /api/v1/runs/{run}/events} — prints
 * {@code READY <ms>} once every connection has its opening comment, then records, per subscriber, when each epoch of
 * the run arrives. The driver writes {@code SENT <epoch> <epoch-micros>} lines on stdin as it publishes and
 * {@code DONE <epochs>} at the end; the client then waits (up to a minute) for every subscriber to have every epoch
 * and prints {@code RESULT} lines: missing, duplicated and out-of-order events, delivery latency percentiles.
 *
 * <p>Arguments: base URL, subscriber count, run id, project.
 */
public final class SseSubscribersClient {

    private static final int CLIENTS = 8;

    /** One subscriber's view: receive time (epoch micros) per epoch, duplicates, order. */
    static final class Subscriber {
        final Map<Integer, Long> received = new ConcurrentHashMap<>();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger outOfOrder = new AtomicInteger();
        volatile int lastEpoch = -1;
        volatile boolean closed;
        volatile Throwable failure;

        /** An epoch event's data carries {@code "epoch":N}. */
        void received(SseClient.Event e) {
            if (!"epoch".equals(e.type())) {
                return;
            }
            int epoch = e.json().path("epoch").asInt();
            if (received.putIfAbsent(epoch, nowMicros()) != null) {
                duplicates.incrementAndGet();
            }
            if (epoch <= lastEpoch) {
                outOfOrder.incrementAndGet();
            }
            lastEpoch = Math.max(lastEpoch, epoch);
        }
    }

    public static void main(String[] args) throws Exception {
        URI base = URI.create(args[0]);
        int n = Integer.parseInt(args[1]);
        String runId = args[2];
        String project = args[3];
        // Optional: the streams' types= filter (e.g. "epoch,status"), so the cost of the verdict events shows apart.
        String types = args.length > 4 && !args[4].isBlank() ? args[4] : null;
        List<HttpClient> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(30)).build());
        }
        Subscriber[] subs = new Subscriber[n];
        CountDownLatch connected = new CountDownLatch(n);
        // At most this many connections being opened at once: the server's accept backlog is finite.
        Semaphore opening = new Semaphore(256);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Subscriber s = new Subscriber();
            subs[i] = s;
            URI uri = i % 2 == 0 ? base.resolve("/api/v1/events?project=" + project + (types == null ? "" : "&types=" + types))
                    : base.resolve("/api/v1/runs/" + runId + "/events" + (types == null ? "" : "?types=" + types));
            opening.acquire();
            boolean[] counted = {false};
            Runnable ready = () -> {
                synchronized (counted) {
                    if (!counted[0]) {
                        counted[0] = true;
                        opening.release();
                        connected.countDown();
                    }
                }
            };
            SseClient sse = SseClient.to(uri).httpClient(clients.get(i % CLIENTS)).authorization(TestAuth.HEADER)
                    .onComment(c -> ready.run())
                    .onEvent(s::received)
                    .openAsync();
            sse.whenEnded().thenRun(() -> {
                if (sse.failure() != null) {
                    s.failure = sse.failure();
                } else if (sse.status() != 200) {
                    s.failure = new IllegalStateException("status " + sse.status());
                } else {
                    s.closed = true;
                }
                ready.run();
            });
        }
        if (!connected.await(5, TimeUnit.MINUTES)) {
            System.out.println("RESULT not all connected: " + connected.getCount() + " pending");
        }
        long connectMs = (System.nanoTime() - t0) / 1_000_000;
        long failedConnect = Arrays.stream(subs).filter(s -> s.failure != null).count();
        Map<String, Long> why = new java.util.TreeMap<>();
        for (Subscriber s : subs) {
            if (s.failure != null) {
                why.merge(String.valueOf(s.failure), 1L, Long::sum);
            }
        }
        why.forEach((k, v) -> System.err.println("connect failure x" + v + ": " + k));
        System.out.println("READY " + connectMs + " " + failedConnect + " " + usedHeapMb());
        System.out.flush();

        Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
        int epochs = -1;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.trim().split(" ");
            if (p[0].equals("SENT")) {
                sentAt.put(Integer.parseInt(p[1]), Long.parseLong(p[2]));
            } else if (p[0].equals("DONE")) {
                epochs = Integer.parseInt(p[1]);
                break;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !allReceived(subs, epochs)) {
            Thread.sleep(50);
        }
        long missing = 0;
        long duplicates = 0;
        long outOfOrder = 0;
        long dropped = 0;
        List<Long> latencies = new ArrayList<>(n * Math.max(1, epochs));
        for (Subscriber s : subs) {
            missing += epochs - s.received.size();
            duplicates += s.duplicates.get();
            outOfOrder += s.outOfOrder.get();
            dropped += s.closed || s.failure != null ? 1 : 0;
            for (Map.Entry<Integer, Long> e : s.received.entrySet()) {
                Long sent = sentAt.get(e.getKey());
                if (sent != null) {
                    latencies.add(e.getValue() - sent);
                }
            }
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("RESULT subscribers %d epochs %d connect_ms %d connect_failed %d missing %d duplicates %d "
                        + "out_of_order %d closed_or_failed %d latency_ms p50 %.1f p99 %.1f max %.1f client_heap_mb %d%n",
                n, epochs, connectMs, failedConnect, missing, duplicates, outOfOrder, dropped, pct(sorted, 0.5),
                pct(sorted, 0.99), sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1000.0, usedHeapMb());
        System.out.flush();
        System.exit(0);
    }

    private static boolean allReceived(Subscriber[] subs, int epochs) {
        for (Subscriber s : subs) {
            if (s.received.size() < epochs && s.failure == null && !s.closed) {
                return false;
            }
        }
        return true;
    }

    static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    private static long usedHeapMb() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

    private static double pct(long[] sortedMicros, double p) {
        if (sortedMicros.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sortedMicros.length - 1, Math.ceil(p * sortedMicros.length) - 1);
        return sortedMicros[Math.max(0, i)] / 1000.0;
    }

}
