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
}
