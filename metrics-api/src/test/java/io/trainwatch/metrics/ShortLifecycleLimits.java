package io.trainwatch.metrics;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** Lifecycle limits of a second or two instead of a minute, so that tests see `cancel_unconfirmed` and `stalled`. */
public class ShortLifecycleLimits implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("trainwatch.cancel.confirm-timeout", "PT1S", "trainwatch.liveness.floor", "PT2S");
    }
}
