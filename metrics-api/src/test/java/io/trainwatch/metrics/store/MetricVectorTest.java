package io.trainwatch.metrics.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricVectorTest {

    @Test
    void roundTripsValuesIncludingNaNAndKeepsAbsentNamesAbsent() {
        List<String> names = new ArrayList<>(List.of("a"));
        Map<String, Double> values = Map.of("b", Double.NaN, "c", Double.NEGATIVE_INFINITY);
        assertTrue(MetricVector.extendNames(names, values));
        assertEquals(List.of("a", "b", "c"), names);
        byte[] packed = MetricVector.pack(names, values);
        assertEquals(24, packed.length, "8 bytes a value");
        Map<String, Double> back = MetricVector.unpack(names, packed);
        assertEquals(2, back.size());
        assertFalse(back.containsKey("a"), "a was not reported");
        assertTrue(back.get("b").isNaN());
        assertEquals(Double.NEGATIVE_INFINITY, back.get("c"));
        assertFalse(MetricVector.extendNames(names, Map.of("a", 1.0)));
    }

    @Test
    void trailingAbsentNamesCostNothingAndNullStaysNull() {
        List<String> names = List.of("a", "b", "c");
        assertEquals(8, MetricVector.pack(names, Map.of("a", 1.0)).length);
        assertNull(MetricVector.pack(names, null));
        assertNull(MetricVector.unpack(names, null));
        assertEquals(Map.of(), MetricVector.unpack(names, new byte[0]));
    }
}
