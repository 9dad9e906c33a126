package io.trainwatch.metrics.security;

import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Validation shared by POST /api/v1/tokens and preloaded tokens: names, scopes, projects. */
public final class TokenSpec {

    /** A token's name; public so that the OpenAPI document states the same rule. */
    public static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";
    public static final int MAX_PROJECT_LENGTH = 128;
    static final Pattern NAME = Pattern.compile(NAME_PATTERN);

    private TokenSpec() {
    }

    static String name(String field, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(field + ": must be 1 to 64 characters of letters, digits and ._@- "
                    + "(starting with a letter or digit), was " + (name == null ? "absent" : "\"" + name + "\""));
        }
        return name;
    }

    static Set<Scope> scopes(String field, List<String> names) {
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException(field + ": must name at least one of " + Scope.names());
        }
        Set<Scope> out = java.util.EnumSet.noneOf(Scope.class);
        for (String n : names) {
            out.add(Scope.parse(field, n));
        }
        return out;
    }

    /** Null (every project) for null or empty; an admin token cannot be limited, it manages every token. */
    static SortedSet<String> projects(String field, List<String> names, Set<Scope> scopes) {
        if (names == null || names.isEmpty()) {
            return null;
        }
        if (scopes.contains(Scope.ADMIN)) {
            throw new IllegalArgumentException(field + ": an admin token cannot be limited to projects");
        }
        SortedSet<String> out = new TreeSet<>();
        for (String p : names) {
            if (p == null || p.isBlank() || p.length() > MAX_PROJECT_LENGTH || p.contains(",")) {
                throw new IllegalArgumentException(field + ": each project must be 1 to " + MAX_PROJECT_LENGTH
                        + " characters without a comma, was " + (p == null ? "null" : "\"" + p + "\""));
            }
            out.add(p);
        }
        return out;
    }

    static String joinScopes(Set<Scope> scopes) {
        return String.join(",", scopes.stream().map(Scope::wire).toList());
    }

    static String joinProjects(SortedSet<String> projects) {
        return projects == null ? null : String.join(",", projects);
    }
}
