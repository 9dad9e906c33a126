package io.trainwatch.metrics.security;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.List;

/**
 * Tokens in PostgreSQL (Hibernate Reactive Panache). Every change is announced with NOTIFY on {@link #CHANNEL}, so
 * every replica's {@link TokenCache} reloads at once.
 */
@ApplicationScoped
public class TokenStore {

    static final String CHANNEL = "trainwatch_tokens";

    @Inject
    Vertx vertx;

    @Inject
    Pool pool;

    /** Tokens not revoked (expired ones included: the cache checks expiry on every use). */
    public Uni<List<ApiToken>> live() {
        return SafeContext.call(vertx, () -> Panache.withSession(() -> ApiToken.<ApiToken>list("revokedAt is null")));
    }

    public Uni<List<ApiToken>> all() {
        return SafeContext.call(vertx, () -> Panache.withSession(() -> ApiToken.<ApiToken>list("order by id")));
    }

    public Uni<Long> countLive() {
        return SafeContext.call(vertx, () -> Panache.withSession(() -> ApiToken.count("revokedAt is null")));
    }

    public Uni<Boolean> hashKnown(String secretHash) {
        return SafeContext.call(vertx, () -> Panache.withSession(() -> ApiToken.count("secretHash", secretHash)))
                .map(n -> n > 0);
    }

    public Uni<ApiToken> create(ApiToken token) {
        token.createdAt = Instant.now();
        return SafeContext.call(vertx, () -> Panache.withTransaction(() -> token.<ApiToken>persist()))
                .call(this::announce);
    }

    /** The live token with this id, or null. */
    public Uni<ApiToken> live(long id) {
        return SafeContext.call(vertx, () -> Panache.withSession(() ->
                ApiToken.<ApiToken>find("id = ?1 and revokedAt is null", id).firstResult()));
    }

    /** The live token with this name, or null. */
    public Uni<ApiToken> liveNamed(String name) {
        return SafeContext.call(vertx, () -> Panache.withSession(() ->
                ApiToken.<ApiToken>find("name = ?1 and revokedAt is null", name).firstResult()));
    }

    /** Revokes a live token: true when it was live. */
    public Uni<Boolean> revoke(long id) {
        return SafeContext.call(vertx, () -> Panache.withTransaction(() ->
                        ApiToken.update("revokedAt = ?1 where id = ?2 and revokedAt is null", Instant.now(), id)))
                .call(this::announce)
                .map(n -> n > 0);
    }

    /** Records use; callers write at most once a minute per token. */
    public Uni<Integer> touch(long id, Instant at) {
        return SafeContext.call(vertx, () -> Panache.withTransaction(() ->
                ApiToken.update("lastUsedAt = ?1 where id = ?2", at, id)));
    }

    private Uni<Void> announce() {
        return pool.query("NOTIFY " + CHANNEL).execute().replaceWithVoid();
    }
}
