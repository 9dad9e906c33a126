package io.trainwatch.metrics.read;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.store.RunRow;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This replica's in-memory view of each polled run's identity and history change positions: what a history ETag is
 * made of. It lets a conditional read (304) or a cached body be answered with no database I/O.
 *
 * <p>Why it is never stale after a notified commit: every writing transaction ends with {@code pg_notify}, delivered
 * to every replica only once the commit is visible, in commit order ({@link #notified()}, called by the SSE change
 * feed for every notification, whether or not SSE clients are connected). The replica counts them: the count is a
 * clock that grows with commit order (change positions themselves do not: they follow transaction ids). Each entry
 * records the count through which it is known to be current ({@code validThrough}: the count observed before the
 * database read that produced it). A read that arrives when the count is {@code n} uses an entry only when
 * {@code validThrough >= n}; otherwise it waits (asynchronously, never blocking the event loop) for a refresh that
 * re-reads the positions of every stale entry in one indexed query. A run's history positions only grow (ingest
 * keeps them increasing per run), so entries are merged by maximum and never go backwards.
 */
@ApplicationScoped
public class RunHeads {

    private static final Logger LOG = Logger.getLogger(RunHeads.class);

    /** A run as a history ETag needs it. {@code validThrough}: the notified position this entry is current for. */
    public record Head(int runKey, String id, long epochsPosition, long stepsPosition, long validThrough) {

        Head merge(long epochs, long steps, long valid) {
            return new Head(runKey, id, Math.max(epochsPosition, epochs), Math.max(stepsPosition, steps),
                    Math.max(validThrough, valid));
        }
    }

    @Inject
    RunQueries queries;

    @Inject
    MeterRegistry registry;

    @Inject
    MetricsConfig config;

    private final Map<String, Head> heads = new ConcurrentHashMap<>();
    private final AtomicLong notified = new AtomicLong();
    /** The refresh in flight (null when none) and the position it makes entries current for; guarded by this. */
    private Uni<Void> refreshing;
    private long refreshingTarget;
    private Counter hits;
    private Counter misses;

    @PostConstruct
    void meters() {
        Gauge.builder("trainwatch.history.run_view.size", heads, Map::size)
                .description("Runs in this replica's in-memory history view").register(registry);
        hits = Counter.builder("trainwatch.history.run_view.reads").tag("result", "hit")
                .description("History reads answered from the in-memory run view").register(registry);
        misses = Counter.builder("trainwatch.history.run_view.reads").tag("result", "miss")
                .description("History reads that had to read the run from the database").register(registry);
    }

    /** How many commits this replica has been notified of: the clock of {@code validThrough}. */
    public long notifiedPosition() {
        return notified.get();
    }

    /** One more commit is visible: entries older than it must be refreshed before use. */
    public void notified() {
        long count = notified.incrementAndGet();
        if (!heads.isEmpty()) {
            // Eagerly, so that pollers seldom wait; failures are retried by the next read or notification.
            refresh(count).subscribe().with(ok -> { }, f -> LOG.debugf("run view refresh failed: %s", f.toString()));
        }
    }

    /**
     * The run's head, current for every commit notified before this call; {@code null} when this replica does not
     * hold it (the caller reads the database and {@link #observed} the result). No I/O when it is current.
     */
    public Uni<Head> current(String runId) {
        long n = notified.get();
        Head h = heads.get(runId);
        if (h == null) {
            misses.increment();
            return Uni.createFrom().nullItem();
        }
        if (h.validThrough() >= n) {
            hits.increment();
            return Uni.createFrom().item(h);
        }
        return refresh(n).map(ignored -> {
            Head now = heads.get(runId);
            if (now != null && now.validThrough() >= n) {
                hits.increment();
                return now;
            }
            misses.increment();
            return null;
        }).onFailure().recoverWithItem(() -> {
            misses.increment();
            return null;
        });
    }

    /**
     * Records what a database read returned; {@code validThrough} is the notified position observed before that read
     * began (the read saw every commit notified up to then).
     */
    public void observed(RunRow run, long validThrough) {
        if (heads.size() >= config.history().runViewSize() && !heads.containsKey(run.id())) {
            // Simple bound: start over (entries are refilled by the next read of each run).
            heads.clear();
        }
        heads.merge(run.id(), new Head(run.runKey(), run.id(), run.epochsPosition(), run.stepsPosition(), validThrough),
                (old, fresh) -> old.runKey() == fresh.runKey()
                        ? old.merge(fresh.epochsPosition(), fresh.stepsPosition(), fresh.validThrough()) : fresh);
    }

    /** A refresh making every entry current through at least {@code n}: joins the one in flight when it suffices. */
    synchronized Uni<Void> refresh(long n) {
        if (refreshing != null && refreshingTarget >= n) {
            return refreshing;
        }
        Uni<Void> previous = refreshing == null ? Uni.createFrom().voidItem()
                : refreshing.onFailure().recoverWithNull().replaceWithVoid();
        // Chained after the one in flight, so its query starts after the target was notified.
        long target = Math.max(n, notified.get());
        Uni<Void> next = previous.chain(() -> doRefresh(target)).memoize().indefinitely();
        refreshing = next;
        refreshingTarget = target;
        next.subscribe().with(ok -> done(next), f -> done(next));
        return next;
    }

    private synchronized void done(Uni<Void> finished) {
        if (refreshing == finished) {
            refreshing = null;
        }
    }

    private Uni<Void> doRefresh(long target) {
        List<Head> stale = new ArrayList<>();
        for (Head h : heads.values()) {
            if (h.validThrough() < target) {
                stale.add(h);
            }
        }
        if (stale.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int[] keys = stale.stream().mapToInt(Head::runKey).toArray();
        // A run not returned no longer exists: its entry goes (null removes it), the next read asks the database.
        return queries.historyPositions(keys).invoke(changed -> {
            Map<Integer, long[]> byKey = new java.util.HashMap<>();
            changed.forEach(c -> byKey.put((int) c[0], c));
            for (Head h : stale) {
                long[] c = byKey.get(h.runKey());
                heads.computeIfPresent(h.id(), (id, old) -> old.runKey() != h.runKey() ? old
                        : c == null ? null : old.merge(c[1], c[2], target));
            }
        }).replaceWithVoid();
    }
}
