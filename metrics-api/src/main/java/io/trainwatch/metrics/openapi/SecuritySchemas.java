package io.trainwatch.metrics.openapi;

import io.trainwatch.metrics.security.AuditLog;
import io.trainwatch.metrics.security.TokenSpec;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * The schemas of the token and audit documents (TokensResource, AuditResource), which those resources build as JSON
 * trees; like {@link ApiSchemas}, nothing serialises these types and {@code OpenApiContractTest} checks real answers
 * against them. {@code Scope} is a component made by {@link ContractOpenApiFilter} from the Scope enum.
 */
public final class SecuritySchemas {

    private SecuritySchemas() {
    }

    static final String SCOPE = ContractOpenApiFilter.SCHEMAS + "Scope";

    @Schema(name = "TokenRequest", description = "A token to create. projects absent or empty: every project (an admin "
            + "token cannot be limited to projects).", requiredProperties = {"name", "scopes"})
    public record TokenRequest(
            @Schema(description = "Unique among live tokens", pattern = "^" + TokenSpec.NAME_PATTERN + "$") String name,
            @Schema(minItems = 1) List<ScopeRef> scopes,
            @Schema(description = "Project names, each 1 to " + TokenSpec.MAX_PROJECT_LENGTH + " characters without a comma")
            List<String> projects,
            @Schema(format = "date-time", description = "In the future; absent: never expires") String expiresAt) {
    }

    @Schema(name = "Token", description = "A token as the API shows it: never its secret or the secret's hash.",
            requiredProperties = {"id", "name", "scopes", "source", "created_at"})
    public record Token(
            @Schema(minimum = "1") long id,
            @Schema(pattern = "^" + TokenSpec.NAME_PATTERN + "$") String name,
            List<ScopeRef> scopes,
            @Schema(description = "Absent: every project") List<String> projects,
            @Schema(description = "api (POST /api/v1/tokens), config (trainwatch.auth.tokens) or bootstrap (the "
                    + "admin token made at first start)", enumeration = {"api", "config", "bootstrap"}) String source,
            @Schema(format = "date-time") String createdAt,
            @Schema(format = "date-time") String lastUsedAt,
            @Schema(format = "date-time") String expiresAt,
            @Schema(format = "date-time") String revokedAt) {
    }

    @Schema(name = "TokenCreated", description = "The new token, with its secret: shown only in this answer.",
            allOf = {Token.class, Secret.class})
    public interface TokenCreated {
    }

    @Schema(name = "TokenSecret", requiredProperties = "secret")
    public record Secret(@Schema(description = "Send it as Authorization: Bearer <secret>") String secret) {
    }

    @Schema(name = "TokenList", description = "Every token, revoked ones included.", requiredProperties = "tokens")
    public record TokenList(List<Token> tokens) {
    }

    @Schema(name = "TokenSelf", description = "The calling token.", requiredProperties = {"name", "scopes"})
    public record TokenSelf(String name, List<ScopeRef> scopes,
                            @Schema(description = "Absent: every project") List<String> projects) {
    }

    @Schema(name = "AuditPage", description = "Audit entries, newest first.", requiredProperties = "entries")
    public record AuditPage(List<AuditEntry> entries) {
    }

    @Schema(name = "AuditEntry", description = "One audited action: cancels, token changes, refused control attempts.",
            requiredProperties = {"id", "at", "principal", "remote_address", "action", "outcome", "run_id", "detail"})
    public record AuditEntry(
            @Schema(minimum = "1") long id,
            @Schema(format = "date-time") String at,
            @Schema(description = "The token's name, or (unauthenticated)") String principal,
            @Schema(type = SchemaType.STRING, nullable = true) String remoteAddress,
            @Schema(description = "e.g. run.cancel, token.create, token.revoke, or the refused METHOD path")
            String action,
            @Schema(enumeration = {AuditLog.ALLOWED, AuditLog.REFUSED}) String outcome,
            @Schema(type = SchemaType.STRING, nullable = true) String runId,
            @Schema(type = SchemaType.STRING, nullable = true) String detail) {
    }

    /** A scope: the {@code Scope} component. */
    @Schema(ref = SCOPE)
    public interface ScopeRef {
    }
}
