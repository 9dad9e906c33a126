package io.trainwatch.metrics.security;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** A bearer token as stored: its secret's hash, never the secret. Scopes and projects are comma-separated. */
@Entity
@Table(name = "api_tokens")
public class ApiToken extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public String name;

    @Column(name = "secret_hash")
    public String secretHash;

    public String scopes;

    public String projects;

    public String source;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "last_used_at")
    public Instant lastUsedAt;

    @Column(name = "expires_at")
    public Instant expiresAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;

    public Set<Scope> scopeSet() {
        Set<Scope> out = EnumSet.noneOf(Scope.class);
        for (String s : scopes.split(",")) {
            out.add(Scope.parse("scopes", s.trim()));
        }
        return out;
    }

    /** Null when the token may use every project. */
    public SortedSet<String> projectSet() {
        return projects == null ? null : new TreeSet<>(Arrays.asList(projects.split(",")));
    }

    public Caller caller() {
        return new Caller(id, name, scopeSet(), projectSet());
    }
}
