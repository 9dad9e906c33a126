package io.trainwatch.metrics.openapi;

import io.trainwatch.metrics.security.RouteRules;
import io.trainwatch.metrics.security.Scope;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;

import java.util.List;

/**
 * Documents what each operation needs from its caller, read from {@link RouteRules} — the table AuthFilter enforces,
 * so the document cannot promise another scope than the server checks. OpenAPI 3.1 lets a non-OAuth security
 * requirement list role names: an operation's {@code security} lists one alternative per accepted scope
 * ({@code bearer: [read]}), and its description says the same in words. The SSE routes also take the token as
 * {@code ?access_token=}, since a browser's EventSource cannot send headers.
 */
final class OperationSecurity {

    static final String ACCESS_TOKEN = "access_token";

    private OperationSecurity() {
    }

    /** Security, scope sentence and (on SSE routes) the access_token parameter of one operation. */
    static RouteRules.Rule document(String method, String path, Operation op) {
        RouteRules.Rule rule = RouteRules.of(method, path);
        if (rule.open()) {
            op.setSecurity(List.of());
            return rule;
        }
        List<Scope> scopes = rule.anyOf().stream().sorted().toList();
        if (scopes.isEmpty()) {
            op.setSecurity(List.of(requirement(List.of())));
        } else {
            op.setSecurity(scopes.stream().map(s -> requirement(List.of(s.wire()))).toList());
        }
        String sentence = scopes.isEmpty() ? "Needs any valid token."
                : "Needs a token with the scope " + String.join(" or ", scopes.stream()
                        .map(s -> "`" + s.wire() + "`").toList())
                        + (scopes.contains(Scope.ADMIN) ? "." : " (or `admin`, which implies every scope).");
        if (rule.sse()) {
            sentence += " The token may also come as `?access_token=` (a browser's EventSource cannot send headers).";
            op.addParameter(OASFactory.createParameter().name(ACCESS_TOKEN).in(Parameter.In.QUERY)
                    .description("The bearer token, for clients that cannot send an Authorization header (a "
                            + "browser's EventSource); the header wins when both are sent.")
                    .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
        }
        op.setDescription(op.getDescription() == null ? sentence : op.getDescription() + "\n\n" + sentence);
        return rule;
    }

    private static SecurityRequirement requirement(List<String> scopes) {
        return OASFactory.createSecurityRequirement().addScheme(ContractOpenApiFilter.BEARER, scopes);
    }
}
