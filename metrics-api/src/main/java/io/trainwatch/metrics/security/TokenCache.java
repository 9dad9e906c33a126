package io.trainwatch.metrics.security;

import io.smallrye.mutiny.Uni;
import io.trainwatch.metrics.MetricsConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live token in memory (hash → caller), so that checking a request is a map lookup on the event loop, with no
 * I/O. Reloaded on every NOTIFY from {@link TokenStore} (any replica) and at least every {@code trainwatch.auth.refresh}
 * (1 s), which bounds how late a revocation applies if a notification is lost.
 */
@ApplicationScoped
public class TokenCache {

    private static final Logger LOG = Logger.getLogger(TokenCache.class);
    /** last_used_at is written at most this often per token and replica: it is a hint, not a log. */
    static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

    record Entry(Caller caller, Instant expiresAt) {
    }

    @Inject
    TokenStore store;

    @Inject
    Vertx vertx;

    @Inject
    MetricsConfig config;

    @ConfigProperty(name = "quarkus.datasource.reactive.url")
    String reactiveUrl;

    @ConfigProperty(name = "quarkus.datasource.username")
    Optional<String> username;

    @ConfigProperty(name = "quarkus.datasource.password")
    Optional<String> password;

    private volatile Map<String, Entry> byHash = Map.of();
    private final Map<Long, Instant> touched = new ConcurrentHashMap<>();
    private PgSubscriber subscriber;
    private long timer = -1;

    /** The caller whose secret hashes to {@code hash}, if live and not expired at {@code now}. */
    public Optional<Caller> find(String hash, Instant now) {
        Entry e = byHash.get(hash);
        if (e == null || (e.expiresAt() != null && !now.isBefore(e.expiresAt()))) {
            return Optional.empty();
        }
        Instant last = touched.get(e.caller().tokenId());
        if (last == null || Duration.between(last, now).compareTo(TOUCH_EVERY) >= 0) {
            touched.put(e.caller().tokenId(), now);
            store.touch(e.caller().tokenId(), now).subscribe().with(n -> { },
                    f -> LOG.debugf("cannot record the use of token %s: %s", e.caller().name(), f.toString()));
        }
        return Optional.of(e.caller());
    }

    public Uni<Void> reload() {
        return store.live().map(tokens -> {
            Map<String, Entry> next = new HashMap<>();
            for (ApiToken t : tokens) {
                next.put(t.secretHash, new Entry(t.caller(), t.expiresAt));
            }
            byHash = Map.copyOf(next);
            return null;
        });
    }

    /** Loads the tokens, then keeps them current: LISTEN for changes, and a periodic reload as the backstop. */
    void start() {
        reload().await().atMost(Duration.ofSeconds(30));
        timer = vertx.setPeriodic(config.auth().refresh().toMillis(), id -> reloadLogged("periodic"));
        String uri = reactiveUrl.startsWith("vertx-reactive:") ? reactiveUrl.substring("vertx-reactive:".length()) : reactiveUrl;
        PgConnectOptions options = PgConnectOptions.fromUri(uri);
        username.ifPresent(options::setUser);
        password.ifPresent(options::setPassword);
        subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 1000L);
        subscriber.channel(TokenStore.CHANNEL).handler(payload -> reloadLogged("notify"));
        subscriber.connect().onFailure(f -> LOG.warnf("cannot LISTEN for token changes (periodic reload still applies): %s",
                f.toString()));
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (subscriber != null) {
            subscriber.close();
        }
    }

    private void reloadLogged(String why) {
        reload().subscribe().with(ok -> { }, f -> LOG.warnf("cannot reload tokens (%s): %s", why, f.toString()));
    }

    /** Test hook: how many live tokens this replica knows. */
    public int size() {
        return byHash.size();
    }
}
