package io.trainwatch.metrics.read;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.rest.ProblemException;
import io.trainwatch.metrics.store.RunRow;
import io.trainwatch.metrics.live.ChangeFeed;
import io.trainwatch.metrics.live.FeedEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A run's control state as HTTP-reporting trainers see it ({@code cancel_requested}, {@code reason},
 * {@code requested_by}, {@code status}), and waiting for a run to change without blocking a thread: a waiter is a
 * subscriber of the change feed (the same PostgreSQL NOTIFY path as SSE) for the run's {@code status} events, with a
 * Vert.x timer as its deadline. Both ingest (read-your-writes: wait until the run row is stored) and the control
 * long-poll use it.
 */
@ApplicationScoped
public class RunControlState {

    private static final Set<String> STATUS = Set.of("status");

    @Inject
    RunQueries queries;

    @Inject
    ChangeFeed feed;

    @Inject
    Vertx vertx;

    @Inject
    ObjectMapper mapper;

    @Inject
    MetricsConfig config;

    @Inject
    MeterRegistry registry;

    private final AtomicInteger waiters = new AtomicInteger();

    @PostConstruct
    void metrics() {
        Gauge.builder("trainwatch.control.waiters", waiters, AtomicInteger::get)
                .description("Requests waiting for a run change (control long-polls, read-your-writes waits)")
                .register(registry);
    }

    /** The control object of a stored run. */
    public ObjectNode view(RunRow run) {
        ObjectNode n = mapper.createObjectNode();
        // Explicit nulls, unlike the rest of the API: the wire contract gives trainers a fixed shape to read.
        n.put("cancel_requested", run.cancelRequestedAt() != null);
        n.put("reason", run.cancelReason());
        n.put("requested_by", run.cancelRequestedBy());
        n.put("status", run.status());
        return n;
    }

    /** True when nothing a trainer acts on can change any more, or a cancel waits to be honoured. */
    public static boolean settled(RunRow run) {
        return run.cancelRequestedAt() != null || run.finished();
    }

    /**
     * The run once it is stored: at once when it is, else as soon as the consumer stores it. If that takes longer than
     * {@code trainwatch.ingest.visible-timeout}, 503 (the events are on Kafka; a retry with the same event ids is
     * harmless). This is what makes a 202 mean "readable now" on every endpoint of this run.
     */
    public Uni<RunRow> awaitStored(String runId) {
        return await(runId, config.ingest().visibleTimeout(), Optional::isPresent).map(found -> found.orElseThrow(() ->
                new ProblemException(503, "unavailable", "Service unavailable",
                        "the events were accepted by Kafka but the run is not stored yet; retry with the same event_id",
                        List.of())));
    }

    /**
     * The run as soon as {@code done} holds for it, or after {@code max} in whatever state it is then. The read after
     * subscribing closes the race: a change committed before the subscription is visible to that read, one committed
     * after it is delivered to the subscription.
     */
    public Uni<Optional<RunRow>> await(String runId, Duration max, Predicate<Optional<RunRow>> done) {
        return queries.run(runId).chain(first -> {
            if (done.test(first) || max.isZero() || max.isNegative()) {
                return Uni.createFrom().item(first);
            }
            if (waiters.incrementAndGet() > config.control().maxWaiters()) {
                waiters.decrementAndGet();
                return Uni.createFrom().failure(new ProblemException(503, "unavailable", "Service unavailable",
                        "too many requests are waiting for run changes; retry later", List.of()));
            }
            return Uni.createFrom().<Optional<RunRow>>emitter(emitter -> {
                AtomicBoolean over = new AtomicBoolean();
                AtomicReference<Cancellable> changes = new AtomicReference<>();
                AtomicLong timer = new AtomicLong(-1);
                // Registered first: an outcome may arrive on another thread before this method returns.
                emitter.onTermination(() -> {
                    over.set(true);
                    Cancellable c = changes.getAndSet(null);
                    if (c != null) {
                        c.cancel();
                    }
                    vertx.cancelTimer(timer.get());
                    waiters.decrementAndGet();
                });
                Consumer<Optional<RunRow>> settle = row -> {
                    if (over.compareAndSet(false, true)) {
                        emitter.complete(row);
                    }
                };
                Consumer<Throwable> failed = failure -> {
                    if (over.compareAndSet(false, true)) {
                        emitter.fail(failure);
                    }
                };
                Runnable check = () -> queries.run(runId).subscribe().with(row -> {
                    if (done.test(row)) {
                        settle.accept(row);
                    }
                }, failed);
                changes.set(feed.<FeedEvent>subscribe(runId, null, STATUS, null, e -> e, null, null)
                        .subscribe().with(e -> check.run(), failure -> { }));
                if (over.get()) {
                    // Terminated (cancelled) while subscribing: the termination hook found nothing to cancel yet.
                    Cancellable c = changes.getAndSet(null);
                    if (c != null) {
                        c.cancel();
                    }
                    return;
                }
                timer.set(vertx.setTimer(Math.max(1, max.toMillis()),
                        t -> queries.run(runId).subscribe().with(settle, failed)));
                if (over.get()) {
                    vertx.cancelTimer(timer.get());
                    return;
                }
                check.run();
            });
        });
    }
}
