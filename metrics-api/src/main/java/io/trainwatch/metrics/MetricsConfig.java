package io.trainwatch.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code trainwatch.*} setting of the metrics API, with its default (the one place for each).
 * docs/operations.md and docs/api.md list them.
 */
@ConfigMapping(prefix = "trainwatch")
public interface MetricsConfig {

    Ingest ingest();

    Analysis analysis();

    Sse sse();

    History history();

    Control control();

    Cancel cancel();

    Liveness liveness();

    Retention retention();

    Auth auth();

    interface Ingest {
        /** An HTTP ingest request whose events Kafka has not acknowledged by then is answered 503. */
        @WithDefault("PT8S")
        Duration sendTimeout();

        /** How long a read-after-write (e.g. a cancel right after run.started) waits for the run to be stored. */
        @WithDefault("PT10S")
        Duration visibleTimeout();

        /** How long event ids (and deleted run ids) are remembered, so a redelivery stays idempotent. */
        @WithDefault("P7D")
        Duration processedRetention();
    }

    interface Analysis {
        /** False: store only, no verdicts (for measurements). */
        @WithDefault("true")
        boolean enabled();

        /** At start, at most this many runs whose stored epochs are newer than their verdict are analysed again. */
        @WithDefault("10000")
        int catchUpRuns();
    }

    interface Sse {
        /** A comment frame this often keeps idle streams open through proxies. */
        @WithDefault("PT15S")
        Duration heartbeat();

        /** Events queued per SSE client; a client further behind is dropped (it reconnects with Last-Event-ID). */
        @WithDefault("2048")
        int clientBuffer();
    }

    interface History {
        /** Runs whose head (ETag) is kept in memory. */
        @WithDefault("10000")
        int runViewSize();
    }

    interface Control {
        /** Long-polls waiting at once on this replica; one more is refused with 503. */
        @WithDefault("10000")
        int maxWaiters();
    }

    interface Cancel {
        /** A cancel no trainer confirmed within this turns the run cancel_unconfirmed. */
        @WithDefault("PT60S")
        Duration confirmTimeout();
    }

    interface Liveness {
        /** A run silent for longer than max(paces × its median epoch duration, floor) turns stalled. */
        @WithDefault("PT60S")
        Duration floor();

        @WithDefault("5")
        int paces();
    }

    interface Retention {
        /** Finished runs older than this many days are deleted; 0 keeps them forever. */
        @WithDefault("0")
        int days();

        /** {@code trainwatch.retention.projects."<project>"=days}: overrides {@link #days()} for one project. */
        Map<String, Integer> projects();

        @WithDefault("PT1H")
        Duration every();

        /** Runs deleted per transaction. */
        @WithDefault("100")
        int batch();

        /** Pause between two transactions. */
        @WithDefault("PT1S")
        Duration pause();
    }

    /** {@code trainwatch.auth.*}: see docs/operations.md "Security". */
    interface Auth {

        /** False only for tests and trusted sandboxes: every request then acts as an admin (a loud warning at start). */
        @WithDefault("true")
        boolean enabled();

        /** Where the first start writes the bootstrap admin token's secret (mode 600). */
        @WithName("bootstrap-file")
        @WithDefault(".trainwatch/data/admin-token")
        String bootstrapFile();

        /**
         * Tokens to preload, each {@code name:scopes:projects:credential} with scopes and projects joined by
         * {@code +} (projects empty: every project) and the credential either the secret's SHA-256 in hex or
         * {@code file:PATH} (a file holding the secret, e.g. a mounted Kubernetes Secret).
         */
        Optional<List<String>> tokens();

        /** The token cache is reloaded this often even without a NOTIFY: the bound on how late a revocation applies. */
        @WithDefault("PT1S")
        Duration refresh();

        /** Origins allowed to call /mcp from a browser (besides the server's own); no Origin header is always allowed. */
        @WithName("mcp-allowed-origins")
        Optional<List<String>> mcpAllowedOrigins();
    }
}
