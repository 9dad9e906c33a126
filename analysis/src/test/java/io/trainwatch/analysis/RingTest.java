package io.trainwatch.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The window statistics the rules are built on. */
class RingTest {

    private static Ring of(double... ys) {
        Ring r = new Ring(ys.length);
        for (int i = 0; i < ys.length; i++) {
            r.add(i, ys[i]);
        }
        return r;
    }

    @Test
    void keepsOnlyTheNewestValues() {
        Ring r = new Ring(3);
        for (int i = 0; i < 10; i++) {
            r.add(i, i * 10);
        }
        assertEquals(3, r.size());
        assertEquals(70, r.y(0));
        assertEquals(90, r.lastY());
        assertEquals(80, r.median(3));
    }

    @Test
    void leastSquaresSlopeAndItsSignificance() {
        Ring.Fit f = of(10, 9, 8, 7, 6, 5).fit(6);
        assertEquals(-1, f.slope(), 1e-12);
        assertEquals(0, f.residualSd(), 1e-12);
        assertTrue(f.tStat() > 100);
        assertEquals(5, f.at(5), 1e-12);
    }

    @Test
    void robustTrendIgnoresAnEarlyDropThatDominatesLeastSquares() {
        Ring r = of(5, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
        assertEquals(0, r.robustTrend(12)[0], 1e-12, "median pairwise slope of a flat tail");
        assertTrue(r.fit(12).slope() < -0.1, "least squares is pulled by the drop");
        double[] falling = of(10, 9.5, 9.7, 9, 8.8, 8.9, 8.2, 8, 8.1, 7.5).robustTrend(10);
        assertTrue(falling[0] < 0 && falling[1] < -2, "a noisy but steady fall is significant: z=" + falling[1]);
    }

    @Test
    void noiseFromDifferencesIsRobustToASpike() {
        double calm = of(1, 1.01, 0.99, 1, 1.01, 0.99, 1, 1.01).diffNoise(8);
        double spiked = of(1, 1.01, 0.99, 1, 5, 0.99, 1, 1.01).diffNoise(8);
        assertTrue(spiked < 3 * calm + 0.02, calm + " vs " + spiked);
        assertEquals(0.0, of(1, 2, 3, 4, 5, 6).oscillation(6), 1e-12);
        assertEquals(1.0, of(1, 2, 1, 2, 1, 2).oscillation(6), 1e-12);
    }
}
