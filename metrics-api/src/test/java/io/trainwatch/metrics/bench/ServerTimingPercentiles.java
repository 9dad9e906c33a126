package io.trainwatch.metrics.bench;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Test-only: server-side p50/p99 of HTTP requests, so the benchmark can report server time, not client time. */
public class ServerTimingPercentiles {

    @Produces
    @Singleton
    MeterFilter httpPercentiles() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals("http.server.requests")) {
                    return DistributionStatisticConfig.builder().percentiles(0.5, 0.99)
                            .expiry(java.time.Duration.ofSeconds(20)).bufferLength(2).build().merge(config);
                }
                return config;
            }
        };
    }
}
