package io.trainwatch.metrics;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * A liveness floor of 20 s (checked every 4 s): long enough that a run without its own limit stays `running` while
 * a run with `monitor.stall_after_seconds` of 2 stalls.
 */
public class LivenessFloorOf20Seconds implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("trainwatch.liveness.floor", "PT20S");
    }
}
