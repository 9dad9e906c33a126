package io.trainwatch.metrics.live;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import io.trainwatch.metrics.store.ChangeNotice;
import io.trainwatch.metrics.read.RunHeads;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgChannel;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The replica's view of stored changes, for SSE. Every writing transaction ends with {@code pg_notify} carrying its
 * last change position; PostgreSQL delivers it, on commit, to the LISTEN connection of every replica. The replica
 * then reads the changes after the position it has delivered up to the change horizon, once, and offers them to
 * each local client's own bounded buffer. Below the horizon no transaction is running or can still write (positions
 * derive from transaction ids, see migration V30), so "everything up to P" is a complete, gap-free prefix for every
 * P at or below it: resume and fan-out rest on that. A commit whose positions lie above the horizon (an older
 * transaction is still open) is read once that transaction ends: its own notification, or a retry with backoff when
 * the transaction holding the horizon back does not notify (one that is not Trainwatch's).
 */
@ApplicationScoped
public class ChangeFeed {

    private static final Logger LOG = Logger.getLogger(ChangeFeed.class);

    @Inject
    Vertx vertx;

    @Inject
    Pool pool;

    @Inject
    ChangeQueries changes;

    @Inject
    RunHeads runHeads;

    @ConfigProperty(name = "quarkus.datasource.reactive.url")
    String reactiveUrl;

    @ConfigProperty(name = "quarkus.datasource.username")
    String username;

    /** No default: the local stack generates one (see application.properties). */
    @ConfigProperty(name = "quarkus.datasource.password")
    Optional<String> password;

    @Inject
    MetricsConfig config;

    private final Map<Long, SseClient> clients = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** The highest position offered to every client; guarded by {@code this} together with registration. */
    private long delivered;
    private final AtomicLong notified = new AtomicLong();
    private final AtomicBoolean fetching = new AtomicBoolean();
    private final AtomicBoolean retryScheduled = new AtomicBoolean();
    /** The wait before re-reading the horizon while a notified commit lies above it; doubles, reset on progress. */
    private long retryDelayMs = RETRY_FIRST_MS;
    private static final long RETRY_FIRST_MS = 5;
    private static final long RETRY_MAX_MS = 1000;
    private volatile boolean ready;
    private PgSubscriber subscriber;
    private io.micrometer.core.instrument.Timer fanOutTimer;
    private io.micrometer.core.instrument.Counter droppedCounter;

    @Inject
    MeterRegistry registry;

    void start(@Observes StartupEvent ignored) {
        Gauge.builder("trainwatch.sse.clients", clients, Map::size).description("Connected SSE clients").register(registry);
        Gauge.builder("trainwatch.sse.queued.events.max", clients, c -> c.values().stream().mapToInt(SseClient::queued)
                .max().orElse(0)).description("Events waiting in the fullest SSE client's buffer").register(registry);
        Gauge.builder("trainwatch.sse.queued.bytes.max", clients, c -> c.values().stream().mapToLong(SseClient::queuedBytes)
                .max().orElse(0)).description("JSON bytes waiting in the fullest SSE client's buffer")
                .register(registry);
        droppedCounter = io.micrometer.core.instrument.Counter.builder("trainwatch.sse.dropped")
                .tag("reason", "fell_behind").description("SSE clients disconnected because their buffer was full")
                .register(registry);
        fanOutTimer = io.micrometer.core.instrument.Timer.builder("trainwatch.sse.fanout")
                .description("Offering one read of changes to every local SSE client (the loop, not the socket writes)")
                .register(registry);
        PgConnectOptions options = PgConnectOptions.fromUri(reactiveUrl.replaceFirst("^vertx-reactive:", ""))
                .setUser(username);
        password.ifPresent(options::setPassword);
        subscriber = PgSubscriber.subscriber(vertx, options)
                .reconnectPolicy(attempt -> attempt < 1000 ? Math.min(5000L, 100L * (attempt + 1)) : -1L);
        PgChannel channel = subscriber.channel(ChangeNotice.CHANNEL);
        channel.handler(payload -> {
            try {
                onNotification(Long.parseLong(payload));
            } catch (NumberFormatException e) {
                LOG.warnf("ignoring notification %s", payload);
            }
        });
        // After a reconnect, notifications sent meanwhile are lost: catch up from the database.
        channel.subscribeHandler(() -> currentPosition().subscribe().with(this::onNotification,
                f -> LOG.warnf("cannot read the change position: %s", f.toString())));
        // Start from the horizon now: every change at or below it is committed, none can still appear there.
        currentPosition().invoke(p -> {
            synchronized (this) {
                delivered = p;
            }
            notified.accumulateAndGet(p, Math::max);
            ready = true;
        }).chain(() -> subscriber.connect())
                .subscribe().with(ok -> LOG.info("SSE change feed listening"),
                        f -> LOG.errorf("SSE change feed cannot listen: %s", f.toString()));
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (subscriber != null) {
            subscriber.closeAndForget();
        }
        clients.values().forEach(c -> c.fail("server shutting down"));
    }

    private Uni<Long> currentPosition() {
        return changes.horizon();
    }

    void onNotification(long position) {
        // The history view first: it must learn of every commit, whether or not SSE clients are connected.
        runHeads.notified();
        notified.accumulateAndGet(position, Math::max);
        drain();
    }

    /**
     * One fetch at a time; notifications that arrive meanwhile are folded into the next fetch. Each fetch reads the
     * horizon first, then the changes in (delivered, horizon].
     */
    private void drain() {
        if (!ready || !fetching.compareAndSet(false, true)) {
            return;
        }
        long from;
        synchronized (this) {
            from = delivered;
        }
        long wanted = notified.get();
        if (wanted <= from) {
            fetching.set(false);
            if (notified.get() > from) {
                drain();
            }
            return;
        }
        changes.horizon().chain(horizon -> {
            if (horizon <= from) {
                return Uni.createFrom().item(false);
            }
            synchronized (this) {
                if (clients.isEmpty()) {
                    // Nobody to tell: move on without reading. A client that connects later replays from the database.
                    delivered = horizon;
                    return Uni.createFrom().item(true);
                }
            }
            return changes.changes(from, horizon, null).map(events -> {
                fanOut(events, horizon);
                return true;
            });
        }).subscribe().with(progressed -> afterFetch(wanted, progressed), failure -> {
            LOG.warnf("cannot read changes after %d: %s", from, failure.toString());
            fetching.set(false);
            vertx.setTimer(500, t -> drain());
        });
    }

    /**
     * After a fetch: read again at once when notifications arrived meanwhile (one of them may be the commit that
     * moves the horizon); else, while a notified commit still lies above the horizon, retry with backoff.
     */
    private void afterFetch(long wantedBefore, boolean progressed) {
        fetching.set(false);
        if (progressed) {
            retryDelayMs = RETRY_FIRST_MS;
        }
        long now = notified.get();
        long done;
        synchronized (this) {
            done = delivered;
        }
        if (now <= done) {
            return;
        }
        if (now > wantedBefore || progressed) {
            drain();
        } else if (retryScheduled.compareAndSet(false, true)) {
            long delay = retryDelayMs;
            retryDelayMs = Math.min(RETRY_MAX_MS, retryDelayMs * 2);
            vertx.setTimer(delay, t -> {
                retryScheduled.set(false);
                drain();
            });
        }
    }

    /**
     * Hands each local client the events it wants. The offers (rendering, the emitter's buffer, the socket write) run
     * on each client's own event loop, one task per client per read: this loop stays short however many clients
     * there are, the work spreads over the event loops, and each connection is written from the thread that owns it.
     * Tasks on one context run in submission order, so each client still gets events in position order.
     */
    private synchronized void fanOut(List<FeedEvent> events, long upTo) {
        long start = System.nanoTime();
        for (SseClient client : clients.values()) {
            List<FeedEvent> wanted = client.select(events);
            if (!wanted.isEmpty()) {
                client.deliver(wanted);
            }
        }
        delivered = upTo;
        if (!events.isEmpty()) {
            fanOutTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A client's stream: the events after {@code after} (its Last-Event-ID position; null for "from now"), read from
     * the database up to what this replica has delivered, then live. {@code initial} (may be null) is sent first on
     * a fresh connection. {@code connection}: the client's connection (its event loop, where live events are offered,
     * and how to cut it when the client falls a whole buffer behind); null to offer events on the feed's thread and
     * end a client that falls behind by failing its stream.
     */
    public <T> Multi<T> subscribe(String runId, String project, java.util.Set<String> types, Long after,
                                  Function<FeedEvent, T> render, Function<Long, Uni<FeedEvent>> initial,
                                  SseConnection connection) {
        java.util.concurrent.atomic.AtomicReference<SseClient> registered = new java.util.concurrent.atomic.AtomicReference<>();
        int bufferSize = config.sse().clientBuffer();
        Multi<FeedEvent> buffered = Multi.createFrom().<FeedEvent>emitter(emitter -> {
            long id = ids.incrementAndGet();
            long snapshot;
            SseClient client;
            synchronized (this) {
                snapshot = delivered;
                client = new SseClient(id, runId, project, types, emitter, bufferSize,
                        after == null ? snapshot : after, connection, this::dropped);
                clients.put(id, client);
            }
            registered.set(client);
            emitter.onTermination(() -> clients.remove(id));
            if (after == null) {
                Uni<FeedEvent> first = initial == null ? Uni.createFrom().nullItem() : initial.apply(snapshot);
                first.subscribe().with(item -> {
                    if (item != null) {
                        client.sendInitial(item);
                    }
                    client.replayed(List.of());
                }, emitter::fail);
            } else {
                changes.changes(after, snapshot, runId).subscribe().with(all -> {
                    List<FeedEvent> replay = client.select(all);
                    if (replay.size() > bufferSize) {
                        // Too much to hold at once: send a buffer's worth and close; the client resumes from there.
                        client.replayed(replay.subList(0, bufferSize));
                        emitter.complete();
                    } else {
                        client.replayed(replay);
                    }
                }, emitter::fail);
            }
        }, bufferSize);
        // Counted out of the buffer as the writer takes each event (it asks for one at a time, after each write).
        return buffered.onItem().invoke(e -> registered.get().taken(e)).map(render);
    }

    private void dropped(SseClient client) {
        clients.remove(client.id);
        droppedCounter.increment();
        LOG.warnf("SSE client %d dropped (run %s, project %s, types %s): %s; it may resume with its Last-Event-ID",
                client.id, client.runId, client.project, client.types, client.dropReason());
    }

    /** Connected clients on this replica. */
    public int clientCount() {
        return clients.size();
    }
}
