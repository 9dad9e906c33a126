package io.trainwatch.e2e;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EpochCompleted;
import io.trainwatch.contracts.EventCodec;
import io.trainwatch.contracts.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Ingest while a fault is injected, as the process fault scenarios need it: runs fed over HTTP (a client that retries
 * every request until it is answered {@code 202}: after a {@code 503} it waits what {@code Retry-After} says, after a
 * refused or cut connection 200 ms) and runs fed straight onto Kafka (a producer with {@code acks=all}), side by side.
 * A pacer sends one <em>round</em> (the next epoch of every Kafka run) per interval, and the HTTP client follows it in
 * batches; rounds at or past the {@link #openUpTo gate} wait, so a scenario can inject its fault at a chosen point
 * and let ingest go on through it. Every acknowledged epoch goes into the {@link FaultLedger}, and every answer is
 * counted ({@link #counts}): a 5xx other than 503, or a 503 without Retry-After, is a fault of the app.
 */
final class IngestLoad implements AutoCloseable {

    /** Epochs per HTTP request. */
    static final int BATCH = 5;

    private final TrainwatchSystem system;
    private final FaultLedger ledger;
    private final List<String> httpRuns;
    private final List<String> kafkaRuns;
    private final int epochs;
    private final Duration interval;
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicInteger round = new AtomicInteger();
    private volatile int gate;
    private final AtomicInteger http202 = new AtomicInteger();
    private final AtomicInteger http503 = new AtomicInteger();
    private final AtomicInteger http503WithoutRetryAfter = new AtomicInteger();
    private final AtomicInteger connectionFailures = new AtomicInteger();
    /** Requests that got no answer within the client's 20 s (Http's request timeout). */
    private final AtomicInteger timeouts = new AtomicInteger();
    private final AtomicInteger kafkaAcked = new AtomicInteger();
    private final AtomicInteger kafkaFailed = new AtomicInteger();
    /** Answers that are neither 202 nor 503, and 503s without Retry-After: status and body. */
    private final List<String> wrong = new CopyOnWriteArrayList<>();
    private final List<Throwable> crashed = new CopyOnWriteArrayList<>();
    private final Thread pacer;
    private final Thread poster;
    private final long deadlineNanos;

    /**
     * Starts feeding {@code runs} runs of {@code epochs} epochs each (the first {@code httpRuns} over HTTP, the rest on
     * Kafka), named {@code prefix-h<i>} and {@code prefix-k<i>}, one round per {@code interval} (the HTTP client
     * follows the rounds whether or not there are Kafka runs); rounds from {@code gate} on wait for {@link #openUpTo}. HTTP runs are created ({@code POST /runs}) before this returns.
     */
    IngestLoad(TrainwatchSystem system, FaultLedger ledger, String prefix, int httpRuns, int kafkaRuns, int epochs,
               Duration interval, int gate, Duration timeout) {
        this.system = system;
        this.ledger = ledger;
        this.epochs = epochs;
        this.interval = interval;
        this.gate = gate;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.httpRuns = new ArrayList<>();
        this.kafkaRuns = new ArrayList<>();
        for (int i = 0; i < httpRuns; i++) {
            String run = prefix + "-h" + i;
            this.httpRuns.add(run);
            createRun(run);
        }
        for (int i = 0; i < kafkaRuns; i++) {
            this.kafkaRuns.add(prefix + "-k" + i);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, system.stack.kafkaBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // In order per run even when a send is retried (the default, said here because the scenario relies on it).
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(p);
        this.pacer = new Thread(this::pace, "faults-pacer-" + prefix);
        this.poster = new Thread(this::post, "faults-http-" + prefix);
        pacer.setDaemon(true);
        poster.setDaemon(true);
        pacer.start();
        poster.start();
    }

    /** Lets rounds below {@code gate} go (at most {@code epochs}). */
    void openUpTo(int gate) {
        this.gate = Math.min(gate, epochs);
    }

    /** Rounds sent so far (on Kafka; the HTTP client follows a little behind). */
    int round() {
        return round.get();
    }

    /** Waits until the pacer has sent rounds 0 to {@code r - 1} (so it must be below the gate). */
    void awaitRound(int r, Duration max) {
        await("ingest reached round " + r).atMost(max).pollInterval(Duration.ofMillis(20))
                .until(() -> round.get() >= r || !crashed.isEmpty());
        rethrow();
    }

    /** Waits until every epoch of every run has been sent and acknowledged (or refused for good). */
    void awaitDone(Duration max) throws InterruptedException {
        openUpTo(epochs);
        pacer.join(max.toMillis());
        poster.join(Math.max(1, max.toMillis()));
        producer.flush();
        rethrow();
        if (pacer.isAlive() || poster.isAlive()) {
            throw new AssertionError("ingest not done after " + max + ": round " + round + " of " + epochs);
        }
    }

    List<String> kafkaRuns() {
        return kafkaRuns;
    }

    /** The answers, for the summary line. */
    Map<String, Object> counts() {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("http_202", http202.get());
        c.put("http_503", http503.get());
        c.put("http_503_without_retry_after", http503WithoutRetryAfter.get());
        c.put("http_other", wrong.size() - http503WithoutRetryAfter.get());
        c.put("http_connection_failures", connectionFailures.get());
        c.put("http_timeouts_20s", timeouts.get());
        c.put("kafka_acked", kafkaAcked.get());
        c.put("kafka_failed", kafkaFailed.get());
        return c;
    }

    int http503() {
        return http503.get();
    }

    /** Answers that break the contract (a 5xx other than 503, a 503 without Retry-After, a 4xx), as status + body. */
    List<String> wrongAnswers() {
        return List.copyOf(wrong);
    }

    int kafkaFailed() {
        return kafkaFailed.get();
    }

    private void pace() {
        try {
            for (int r = 0; r < epochs; r++) {
                while (r >= gate) {
                    pause(Duration.ofMillis(10));
                }
                for (String run : kafkaRuns) {
                    send(run, r);
                }
                round.set(r + 1);
                pause(interval);
            }
        } catch (Throwable t) {
            crashed.add(t);
        }
    }

    private void send(String run, int epoch) {
        EpochCompleted event = EpochCompleted.builder(run, epoch).optTotalEpochs(epochs)
                .optTrainLoss(1.0 / (epoch + 1)).optValLoss(1.1 / (epoch + 1)).build();
        String ceId = run + "-e" + epoch;
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.RUN_EVENTS, run,
                EventCodec.instance().encode(event));
        CloudEvents.headers(event, ceId, "/e2e/faults", Instant.now())
                .forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        producer.send(record, (metadata, failure) -> {
            if (failure == null) {
                kafkaAcked.incrementAndGet();
                ledger.accepted(run, epoch, ceId);
            } else {
                kafkaFailed.incrementAndGet();
            }
        });
    }

    private void post() {
        try {
            for (int from = 0; from < epochs; from += BATCH) {
                int to = Math.min(epochs, from + BATCH);
                while (round.get() < to) {
                    pause(Duration.ofMillis(10));
                }
                for (String run : httpRuns) {
                    postUntilAccepted(run, from, to);
                }
            }
        } catch (Throwable t) {
            crashed.add(t);
        }
    }

    private void postUntilAccepted(String run, int from, int to) {
        List<Map<String, Object>> body = new ArrayList<>();
        for (int e = from; e < to; e++) {
            Map<String, Object> m = new HashMap<>();
            m.put("epoch", e);
            m.put("train_loss", 1.0 / (e + 1));
            m.put("val_loss", 1.1 / (e + 1));
            // The same id on every retry, as a client's retry sends it.
            m.put("event_id", run + "-e" + e);
            body.add(m);
        }
        String url = system.metricsApi.url("/api/v1/runs/" + run + "/metrics");
        while (true) {
            if (System.nanoTime() > deadlineNanos) {
                throw new AssertionError("epochs " + from + ".." + (to - 1) + " of " + run + " never accepted");
            }
            Http.Reply r;
            try {
                r = Http.post(url, body);
            } catch (UncheckedIOException | IllegalStateException e) {
                // No answer: metrics-api down (refused), killed mid-request (cut), or silent for 20 s. Not accepted:
                // send it again.
                (e.getCause() instanceof java.net.http.HttpTimeoutException ? timeouts : connectionFailures)
                        .incrementAndGet();
                pause(Duration.ofMillis(200));
                continue;
            }
            if (r.status() == 202) {
                http202.incrementAndGet();
                for (int i = 0; i < body.size(); i++) {
                    ledger.accepted(run, from + i, r.body().path("ce_ids").get(i).asText());
                }
                return;
            }
            if (r.status() == 503) {
                http503.incrementAndGet();
                if (r.retryAfter() == null) {
                    http503WithoutRetryAfter.incrementAndGet();
                    wrong.add("503 without Retry-After: " + r.raw());
                    pause(Duration.ofSeconds(1));
                } else {
                    pause(Duration.ofSeconds(Math.min(10, Long.parseLong(r.retryAfter().trim()))));
                }
                continue;
            }
            wrong.add(r.status() + ": " + r.raw());
            pause(Duration.ofSeconds(1));
        }
    }

    private void createRun(String run) {
        Http.Reply r = Http.post(system.metricsApi.url("/api/v1/runs"), Map.of("run_id", run, "project", "faults",
                "name", run));
        if (r.status() != 202) {
            throw new AssertionError("POST /runs " + run + ": " + r.status() + " " + r.raw());
        }
    }

    /** A client's wait between tries, or the pacer's between rounds: the load's own rhythm, not a test waiting. */
    private static void pause(Duration d) {
        try {
            TimeUnit.NANOSECONDS.sleep(d.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void rethrow() {
        if (!crashed.isEmpty()) {
            throw new AssertionError("ingest load failed", crashed.get(0));
        }
    }

    @Override
    public void close() {
        pacer.interrupt();
        poster.interrupt();
        producer.close(Duration.ofSeconds(5));
    }
}
