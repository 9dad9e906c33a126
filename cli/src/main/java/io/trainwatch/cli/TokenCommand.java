package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Manage bearer tokens (needs an admin token):",
                "  token create NAME --scopes read,ingest [--projects a,b] [--expires-at 2030-01-01T00:00:00Z]",
                "  token list",
                "  token revoke NAME_OR_ID"})
class TokenCommand extends ServerCommand {

    @Parameters(index = "0", paramLabel = "ACTION", description = "create, list or revoke")
    String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "the token's name (create) or name or id (revoke)")
    String name;

    @Option(names = "--scopes", split = ",", paramLabel = "SCOPE",
            description = "read, ingest, control, admin (admin implies all); create only")
    List<String> scopes;

    @Option(names = "--projects", split = ",", paramLabel = "PROJECT",
            description = "limit the token to these projects (default: every project); create only")
    List<String> projects;

    @Option(names = "--expires-at", paramLabel = "TIME", description = "RFC 3339 expiry time; create only")
    String expiresAt;

    @Override
    public Integer call() {
        ApiClient api = metricsApi();
        switch (action) {
            case "create" -> create(api);
            case "list" -> list(api);
            case "revoke" -> {
                api.delete("/api/v1/tokens/" + enc(requireName()).replace("+", "%20"));
                out().println("revoked token " + name);
            }
            default -> throw new CliException(ExitCodes.ERROR, "ACTION: must be create, list or revoke, was \"" + action + "\"");
        }
        out().flush();
        return ExitCodes.OK;
    }

    private void create(ApiClient api) {
        if (scopes == null || scopes.isEmpty()) {
            throw new CliException(ExitCodes.ERROR, "--scopes: required for create, e.g. --scopes read,ingest");
        }
        ObjectNode body = api.mapper().createObjectNode();
        body.put("name", requireName());
        ArrayNode s = body.putArray("scopes");
        scopes.forEach(v -> s.add(v.trim()));
        if (projects != null && !projects.isEmpty()) {
            ArrayNode p = body.putArray("projects");
            projects.forEach(v -> p.add(v.trim()));
        }
        if (expiresAt != null) {
            body.put("expires_at", expiresAt);
        }
        JsonNode answer = api.postJson("/api/v1/tokens", body);
        out().println("created token " + answer.path("name").asText() + " (id " + answer.path("id").asText() + ", scopes "
                + answer.path("scopes") + (answer.has("projects") ? ", projects " + answer.path("projects") : "") + ")");
        out().println("secret (shown only this once): " + answer.path("secret").asText());
    }

    private void list(ApiClient api) {
        JsonNode answer = api.getJson("/api/v1/tokens");
        for (JsonNode t : answer.path("tokens")) {
            out().println(t.path("id").asText() + "  " + t.path("name").asText() + "  scopes=" + join(t.path("scopes"))
                    + "  projects=" + (t.has("projects") ? join(t.path("projects")) : "*")
                    + "  last_used=" + t.path("last_used_at").asText("-")
                    + (t.has("expires_at") ? "  expires=" + t.path("expires_at").asText() : "")
                    + (t.has("revoked_at") ? "  REVOKED " + t.path("revoked_at").asText() : ""));
        }
    }

    private String requireName() {
        if (name == null || name.isBlank()) {
            throw new CliException(ExitCodes.ERROR, "NAME: required for " + action);
        }
        return name;
    }

    private static String join(JsonNode array) {
        StringBuilder b = new StringBuilder();
        for (JsonNode v : array) {
            b.append(b.length() == 0 ? "" : ",").append(v.asText());
        }
        return b.toString();
    }
}
