package io.trainwatch.metrics.security;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The authenticated caller of one request: the token's name (the audit's principal), its scopes and, when limited,
 * its projects ({@code null}: every project).
 */
public record Caller(long tokenId, String name, Set<Scope> scopes, SortedSet<String> projects) {

    /** Where the filter leaves the caller: the request's Vert.x context locals and its RoutingContext. */
    public static final String KEY = "trainwatch.caller";

    /** Every request when {@code trainwatch.auth.enabled=false}. */
    public static final Caller AUTH_DISABLED = new Caller(0, "anonymous (auth disabled)", EnumSet.allOf(Scope.class), null);

    public Caller {
        scopes = Collections.unmodifiableSet(EnumSet.copyOf(scopes));
        projects = projects == null ? null : Collections.unmodifiableSortedSet(new TreeSet<>(projects));
    }

    public boolean has(Scope scope) {
        return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
    }

    public boolean allProjects() {
        return projects == null;
    }

    /** Whether a run of {@code project} is visible to this caller (a run without a project only to unlimited ones). */
    public boolean sees(String project) {
        return projects == null || (project != null && projects.contains(project));
    }
}
