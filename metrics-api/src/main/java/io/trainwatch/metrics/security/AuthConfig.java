package io.trainwatch.metrics.security;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code trainwatch.auth.*}: see docs/operations.md "Security". */
@ConfigMapping(prefix = "trainwatch.auth")
public interface AuthConfig {

    /** False only for tests and trusted sandboxes: every request then acts as an admin (a loud warning at start). */
    @WithDefault("true")
    boolean enabled();

    /** Where the first start writes the bootstrap admin token's secret (mode 600). */
    @WithName("bootstrap-file")
    @WithDefault(".trainwatch/data/admin-token")
    String bootstrapFile();

    /**
     * Tokens to preload, each {@code name:scopes:projects:credential} with scopes and projects joined by {@code +}
     * (projects empty: every project) and the credential either the secret's SHA-256 in hex or {@code file:PATH}
     * (a file holding the secret, e.g. a mounted Kubernetes Secret).
     */
    Optional<List<String>> tokens();

    /** The token cache is reloaded this often even without a NOTIFY: the bound on how late a revocation applies. */
    @WithDefault("PT1S")
    Duration refresh();

    /** Origins allowed to call /mcp from a browser (besides the server's own); no Origin header is always allowed. */
    @WithName("mcp-allowed-origins")
    Optional<List<String>> mcpAllowedOrigins();
}
