package io.trainwatch.metrics.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one table of which scope each route needs. Everything outside /api and /mcp is public (dashboard files,
 * /q/health, /q/metrics, /q/openapi); under /api, a route missing here needs {@code admin}, so a new endpoint is
 * closed until it is given its scope (the OpenAPI-driven matrix test fails until then).
 */
public final class RouteRules {

    /** What a route needs: nothing, any valid token, or one of some scopes. */
    public record Rule(boolean open, Set<Scope> anyOf, boolean sse, boolean mcp) {

        static final Rule PUBLIC = new Rule(true, Set.of(), false, false);
        static final Rule ANY_TOKEN = new Rule(false, Set.of(), false, false);
        static final Rule MCP = new Rule(false, Set.of(), false, true);

        static Rule of(Scope... scopes) {
            return new Rule(false, Set.of(scopes), false, false);
        }

        static Rule stream() {
            return new Rule(false, Set.of(Scope.READ), true, false);
        }

        /** The scope to name in a 403. */
        public Scope needed() {
            return anyOf.stream().sorted().findFirst().orElse(null);
        }
    }

    private RouteRules() {
    }

    public static Rule of(String method, String rawPath) {
        List<String> p = segments(rawPath);
        if (p.isEmpty()) {
            return Rule.PUBLIC;
        }
        if (p.get(0).equals("mcp")) {
            return Rule.MCP;
        }
        if (!p.get(0).equals("api")) {
            return Rule.PUBLIC;
        }
        boolean read = method.equals("GET") || method.equals("HEAD");
        boolean post = method.equals("POST");
        if (method.equals("OPTIONS")) {
            // CORS preflight carries no credentials by design; the CORS filter (or a 405) answers it.
            return Rule.PUBLIC;
        }
        if (p.size() >= 3 && p.get(1).equals("v1")) {
            String top = p.get(2);
            int n = p.size();
            switch (top) {
                case "tokens":
                    return read && n == 4 && p.get(3).equals("self") ? Rule.ANY_TOKEN : Rule.of(Scope.ADMIN);
                case "audit":
                    return Rule.of(Scope.ADMIN);
                case "events":
                    return read && n == 3 ? Rule.stream() : Rule.of(Scope.ADMIN);
                case "compare":
                case "schemas":
                    return read ? Rule.of(Scope.READ) : Rule.of(Scope.ADMIN);
                case "runs":
                    return runs(method, read, post, p);
                default:
                    break;
            }
        }
        return read ? Rule.of(Scope.READ) : Rule.of(Scope.ADMIN);
    }

    private static Rule runs(String method, boolean read, boolean post, List<String> p) {
        int n = p.size();
        if (n == 3) {
            return read ? Rule.of(Scope.READ) : post ? Rule.of(Scope.INGEST) : Rule.of(Scope.ADMIN);
        }
        if (n == 4) {
            return read ? Rule.of(Scope.READ) : method.equals("DELETE") ? Rule.of(Scope.CONTROL) : Rule.of(Scope.ADMIN);
        }
        String sub = p.get(4);
        if (n == 5 && read) {
            return switch (sub) {
                case "events" -> Rule.stream();
                // A trainer polls its run's control state with the token it ingests with.
                case "control" -> Rule.of(Scope.READ, Scope.INGEST);
                default -> Rule.of(Scope.READ);
            };
        }
        if (n == 5 && post) {
            return switch (sub) {
                case "metrics", "steps", "finish", "heartbeat" -> Rule.of(Scope.INGEST);
                case "cancel" -> Rule.of(Scope.CONTROL);
                default -> Rule.of(Scope.ADMIN);
            };
        }
        return read ? Rule.of(Scope.READ) : Rule.of(Scope.ADMIN);
    }

    /** Path segments as JAX-RS matches them: empty ones dropped, matrix parameters ({@code ;x=y}) cut off. */
    static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        if (path == null) {
            return out;
        }
        int q = path.indexOf('?');
        String bare = q >= 0 ? path.substring(0, q) : path;
        for (String s : bare.split("/")) {
            int semi = s.indexOf(';');
            String seg = semi >= 0 ? s.substring(0, semi) : s;
            if (!seg.isEmpty()) {
                out.add(seg);
            }
        }
        return out;
    }

    /**
     * The scope each MCP tool needs: {@code /mcp} itself takes any valid token, and a {@code tools/call} is checked
     * against this table before the call reaches the tool ({@code AuthFilter}), like a REST route. An unknown name
     * passes that check (the MCP server answers it as unknown); a tool of ours missing here needs {@code admin}
     * ({@code TrainwatchTools}), as an unlisted route does.
     */
    private static final Map<String, Scope> MCP_TOOLS = Map.of("list_runs", Scope.READ, "get_run", Scope.READ,
            "get_training_metrics", Scope.READ, "analyze_run", Scope.READ, "get_alerts", Scope.READ,
            "compare_runs", Scope.READ, "cancel_run", Scope.CONTROL, "delete_run", Scope.CONTROL);

    /** The scope the MCP tool {@code name} needs; empty for a name not in the table. */
    public static java.util.Optional<Scope> mcpTool(String name) {
        return java.util.Optional.ofNullable(MCP_TOOLS.get(name));
    }

    /** Whether {@code scope} is one a control route needs: refusals there are audited. */
    static boolean isControl(Rule rule) {
        return rule.anyOf().contains(Scope.CONTROL);
    }
}
