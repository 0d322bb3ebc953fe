package io.convzoo.serving.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RatioStatsTest {

    @Test
    void quantilesInterpolateBetweenRanksAsNumpyDoes() {
        double[] v = {4, 1, 3, 2};
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) = [1.75, 2.5, 3.25]
        assertEquals(1.75, InferenceBench.quantile(v, 0.25), 1e-12);
        assertEquals(2.5, InferenceBench.median(v), 1e-12);
        assertEquals(3.25, InferenceBench.quantile(v, 0.75), 1e-12);
        assertEquals(1.0, InferenceBench.quantile(v, 0), 1e-12);
        assertEquals(4.0, InferenceBench.quantile(v, 1), 1e-12);
        assertEquals(7.0, InferenceBench.median(new double[] {7}), 1e-12);
    }

    @Test
    void ratiosArePairedByRound() {
        // Per round: 1.0, 2.0, 0.5, 1.5, 1.25; a ratio of medians would give 3 / 2 = 1.5 instead.
        double[] ours = {2, 4, 1, 3, 5};
        double[] trace = {2, 2, 2, 2, 4};
        InferenceBench.RatioStats s = InferenceBench.ratioStats(ours, trace);
        assertEquals(1.25, s.median(), 1e-12);
        assertEquals(1.0, s.q1(), 1e-12);
        assertEquals(1.5, s.q3(), 1e-12);
    }
}
