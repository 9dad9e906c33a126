package io.trainwatch.metrics.read;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownsamplerTest {

    static EpochRow row(int epoch, Double train, Double val) {
        return new EpochRow(epoch, null, null, train, val, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    static List<EpochRow> curve(int n) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            rows.add(row(e, 1.0 / (1 + e), 1.0 / (1 + e) + 0.01 * Math.sin(e)));
        }
        return rows;
    }

    @Test
    void shortHistoriesAreReturnedAsTheyAre() {
        List<EpochRow> rows = curve(10);
        assertSame(rows, Downsampler.downsample(rows, List.of("val_loss"), 10));
    }

    @Test
    void keepsFirstLastMinimumMaximumAndTheFirstNonFiniteValue() {
        List<EpochRow> rows = curve(1000);
        rows.set(400, row(400, 0.5, 9.0));
        rows.set(700, row(700, 0.5, -1.0));
        rows.set(555, row(555, Double.NaN, Double.NaN));
        List<EpochRow> out = Downsampler.downsample(rows, List.of("val_loss"), 20);
        List<Integer> epochs = out.stream().map(EpochRow::epoch).toList();
        assertTrue(out.size() <= 20, "size " + out.size());
        assertTrue(epochs.containsAll(List.of(0, 999, 400, 700, 555)), epochs.toString());
        assertEquals(epochs.stream().sorted().toList(), epochs);
    }

    @Test
    void extremesOfEverySelectedFieldSurviveEvenBeyondTheBudget() {
        List<EpochRow> rows = curve(100);
        rows.set(10, row(10, 50.0, 0.5));
        rows.set(20, row(20, 0.5, 50.0));
        List<Integer> epochs = Downsampler.downsample(rows, List.of("train_loss", "val_loss"), 2).stream()
                .map(EpochRow::epoch).toList();
        assertTrue(epochs.containsAll(List.of(0, 99, 10, 20)), epochs.toString());
    }

    @Test
    void fillsTheBudgetWithBucketExtremes() {
        List<EpochRow> out = Downsampler.downsample(curve(1000), List.of("val_loss"), 100);
        assertTrue(out.size() > 60 && out.size() <= 100, "size " + out.size());
    }
}
