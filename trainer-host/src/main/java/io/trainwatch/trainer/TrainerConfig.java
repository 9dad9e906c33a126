package io.trainwatch.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Every {@code trainwatch.*} setting of the trainer host, with its default. docs/trainer-host.md lists them. */
@ConfigMapping(prefix = "trainwatch")
public interface TrainerConfig {

    Spool spool();

    Publisher publisher();

    Jobs jobs();

    Control control();

    Queue queue();

    Auth auth();

    Trainer trainer();

    interface Trainer {
        /**
         * Dataset files submitted through the job API must lie inside this directory (relative paths resolve against
         * it; symbolic links may not lead out). Relative to the working directory.
         */
        @WithDefault("datasets")
        String dataRoot();

        /**
         * A training run that published nothing for this long (a long epoch) publishes a {@code run.heartbeat}, so
         * metrics-api does not take it for stalled; 0 disables heartbeats.
         */
        @WithDefault("20s")
        Duration heartbeatEvery();
    }

    interface Spool {
        /** Where unsent events wait; survives restarts. */
        @WithDefault("data/trainer-host/spool")
        String dir();

        /** Bound on unacknowledged events on disk; beyond it new events are dropped (loudly). */
        @WithDefault("268435456")
        long maxBytes();

        @WithDefault("16777216")
        long segmentBytes();

        /** How often appended events are forced to the device (a JVM crash loses nothing either way). */
        @WithDefault("1s")
        Duration syncInterval();

        /** Events waiting in memory for the spool writer. */
        @WithDefault("100000")
        int queueCapacity();
    }

    interface Publisher {
        /** Off: events are not published at all (for the overhead benchmark and offline training). */
        @WithDefault("true")
        boolean enabled();

        /** How long a send may wait for Kafka metadata (only the sender thread waits). */
        @WithDefault("30s")
        Duration maxBlock();

        /** How long the producer retries one event before the sender starts again from the spool. */
        @WithDefault("120s")
        Duration deliveryTimeout();

        /** At shutdown, how long to keep sending what is spooled before leaving it for the next start. */
        @WithDefault("5s")
        Duration drainTimeout();
    }

    interface Jobs {
        /** Jobs training at once (each on its own thread). */
        @WithDefault("1")
        int maxConcurrent();

        /** Jobs that may wait for a training thread; more are refused with 503. */
        @WithDefault("32")
        int maxQueued();

        /** Finished jobs kept for GET /api/v1/jobs. */
        @WithDefault("500")
        int retained();

        /** Emit a step.sampled every this many optimizer steps (a spec's step_sample_every overrides it). */
        @WithDefault("20")
        int stepSampleEvery();
    }

    interface Control {
        /** Consume run.cancel-requested from the control topic. */
        @WithDefault("true")
        boolean enabled();

        /**
         * At start the control consumer reads cancels sent this long ago, not only new ones: a cancel sent between a
         * run's run.started and the consumer getting its partitions is honoured instead of lost.
         */
        @WithDefault("PT10M")
        java.time.Duration lookBack();
    }

    interface Auth {
        /** False only for tests that are not about access: every request is then allowed (a warning at start). */
        @WithDefault("true")
        boolean enabled();

        /**
         * metrics-api, which owns the tokens: a bearer token is checked with its GET /api/v1/tokens/self. Unset with
         * auth enabled: every job request is refused (503), never allowed.
         */
        java.util.Optional<String> metricsApiUrl();

        /** How long a checked token is trusted without asking again: the bound on how late a revocation applies. */
        @WithDefault("1s")
        Duration cacheFor();
    }

    interface Queue {
        /** Off: POST /api/v1/jobs trains on this host directly, without Kafka's job topic (one host, offline use). */
        @WithDefault("true")
        boolean enabled();

        /**
         * How long a host may be silent before the job-takers group gives its partitions, and the jobs it was running,
         * to another host. A killed host's job starts again that much later.
         */
        @WithDefault("10s")
        Duration sessionTimeout();

        /** Times one job is started (the first run and the retries after its host was lost); then it ends failed. */
        @WithDefault("3")
        int maxAttempts();

        /** How long a submit waits for Kafka to store the job before answering 503. */
        @WithDefault("10s")
        Duration sendTimeout();
    }
}
