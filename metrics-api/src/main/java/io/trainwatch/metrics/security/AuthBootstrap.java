package io.trainwatch.metrics.security;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.metrics.MetricsConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.regex.Pattern;

/**
 * At start: preloads the configured tokens, creates the bootstrap admin token when no live token exists (its secret
 * goes to {@code trainwatch.auth.bootstrap-file}, mode 600 — never to the log), then starts the token cache.
 */
@ApplicationScoped
public class AuthBootstrap {

    static final String BOOTSTRAP_NAME = "admin";
    private static final Logger LOG = Logger.getLogger(AuthBootstrap.class);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    MetricsConfig config;

    @Inject
    TokenStore store;

    @Inject
    TokenCache cache;

    void start(@Observes @Priority(10) StartupEvent ignored) {
        if (!config.auth().enabled()) {
            LOG.warn("\n*****************************************************************************\n"
                    + "* trainwatch.auth.enabled=false: EVERY REQUEST IS TREATED AS AN ADMIN.       *\n"
                    + "* Anyone who reaches this port can ingest, cancel, read and manage tokens.   *\n"
                    + "* Use it only in tests; never in a deployment.                                *\n"
                    + "*****************************************************************************");
            return;
        }
        for (String entry : config.auth().tokens().orElse(List.of())) {
            if (!entry.isBlank()) {
                preload(entry.trim());
            }
        }
        if (store.countLive().await().atMost(WAIT) == 0) {
            bootstrap();
        }
        cache.start();
    }

    void stop(@Observes ShutdownEvent ignored) {
        cache.stop();
    }

    /** {@code name:scopes:projects:credential}; an already stored hash is left as it is (revoked stays revoked). */
    void preload(String entry) {
        String[] parts = entry.split(":", 4);
        if (parts.length != 4) {
            throw new IllegalArgumentException("trainwatch.auth.tokens: each entry must be name:scopes:projects:credential"
                    + " (scopes and projects joined by +), was an entry with " + parts.length + " parts");
        }
        String name = TokenSpec.name("trainwatch.auth.tokens name", parts[0]);
        Set<Scope> scopes = TokenSpec.scopes("trainwatch.auth.tokens " + name + " scopes", split(parts[1]));
        SortedSet<String> projects = TokenSpec.projects("trainwatch.auth.tokens " + name + " projects", split(parts[2]), scopes);
        String hash = credentialHash(name, parts[3]);
        if (store.hashKnown(hash).await().atMost(WAIT)) {
            return;
        }
        ApiToken t = new ApiToken();
        t.name = name;
        t.secretHash = hash;
        t.scopes = TokenSpec.joinScopes(scopes);
        t.projects = TokenSpec.joinProjects(projects);
        t.source = "config";
        // A new secret under a configured name replaces the old one: rotation is a config change and a restart.
        ApiToken previous = store.liveNamed(name).await().atMost(WAIT);
        if (previous != null && previous.secretHash.equals(hash)) {
            // Another replica starting at the same time stored this very token since our check: nothing to rotate.
            return;
        }
        if (previous != null) {
            store.revoke(previous.id).await().atMost(WAIT);
            LOG.infof("token %s: the configured secret changed; the previous one is revoked", name);
        }
        try {
            store.create(t).await().atMost(WAIT);
        } catch (RuntimeException e) {
            // Replicas starting together preload the same tokens: the one that lost the race finds it stored.
            if (store.hashKnown(hash).await().atMost(WAIT)) {
                return;
            }
            throw e;
        }
        LOG.infof("preloaded token %s (scopes %s%s)", name, t.scopes, projects == null ? "" : ", projects " + t.projects);
    }

    private static String credentialHash(String name, String credential) {
        if (credential.startsWith("file:")) {
            Path file = Path.of(credential.substring("file:".length()));
            try {
                String secret = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (secret.length() < 32) {
                    throw new IllegalArgumentException("trainwatch.auth.tokens " + name + ": the secret in " + file
                            + " must be at least 32 characters");
                }
                return TokenSecrets.hash(secret);
            } catch (IOException e) {
                throw new IllegalArgumentException("trainwatch.auth.tokens " + name + ": cannot read the secret file "
                        + file + ": " + e.getMessage());
            }
        }
        String hash = credential.toLowerCase(java.util.Locale.ROOT);
        if (!SHA256_HEX.matcher(hash).matches()) {
            throw new IllegalArgumentException("trainwatch.auth.tokens " + name
                    + ": the credential must be a SHA-256 in hex (64 characters) or file:PATH");
        }
        return hash;
    }

    private static List<String> split(String joined) {
        return joined.isBlank() ? List.of() : Arrays.asList(joined.split("\\+"));
    }

    private void bootstrap() {
        String secret = TokenSecrets.newSecret();
        ApiToken t = new ApiToken();
        t.name = BOOTSTRAP_NAME;
        t.secretHash = TokenSecrets.hash(secret);
        t.scopes = Scope.ADMIN.wire();
        t.source = "bootstrap";
        Path file = Path.of(config.auth().bootstrapFile()).toAbsolutePath();
        // Its own name: replicas sharing the directory must not write one another's pending secret.
        Path pending = file.resolveSibling(file.getFileName() + ".pending-" + java.util.UUID.randomUUID());
        try {
            // Written before the token is stored (a stored token whose secret was never written would lock everyone
            // out), moved into place only after (a replica that loses the race must not overwrite the winner's).
            writeSecret(pending, secret);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the bootstrap admin token to " + file + " ("
                    + "trainwatch.auth.bootstrap-file): " + e.getMessage(), e);
        }
        try {
            store.create(t).await().atMost(WAIT);
        } catch (RuntimeException e) {
            LOG.warnf("bootstrap admin token not created here (%s); another replica may have created it", e.toString());
            deleteQuietly(pending);
            return;
        }
        try {
            Files.move(pending, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("the bootstrap admin token is stored but its secret could not be moved to "
                    + file + ": " + e.getMessage() + "; the secret is in " + pending, e);
        }
        LOG.infof("created the bootstrap admin token \"%s\"; its secret is in %s", BOOTSTRAP_NAME, file);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stale .pending file holds a secret that was never stored: harmless
        }
    }

    /** A new file, mode 600 from its creation (never readable by others, not even for a moment). */
    private static void writeSecret(Path file, String secret) throws IOException {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
    }
}
