package io.trainwatch.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.contracts.EventCodec;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** REST, SSE and Kafka speak one JSON style: the contracts codec's (snake_case, "NaN" strings, absent values left out). */
public class JsonConfig {

    @Produces
    @Singleton
    ObjectMapper objectMapper() {
        return EventCodec.newMapper();
    }
}
