package io.convzoo.serving.api;

import java.util.Arrays;

/**
 * A read-only snapshot of one of {@link ServingMetrics}' Micrometer histograms, in Prometheus'
 * cumulative form: observations at or below each bound, the total count and the sum (seconds for
 * latencies, requests for batch sizes).
 */
public record Histogram(double[] bounds, long[] cumulativeCounts, long count, double sum) {

    public Histogram {
        if (bounds.length != cumulativeCounts.length) {
            throw new IllegalArgumentException("one cumulative count per bound: " + Arrays.toString(bounds)
                    + " vs " + Arrays.toString(cumulativeCounts));
        }
        bounds = bounds.clone();
        cumulativeCounts = cumulativeCounts.clone();
    }

    static Histogram empty(double[] bounds) {
        return new Histogram(bounds, new long[bounds.length], 0, 0);
    }

    @Override
    public double[] bounds() {
        return bounds.clone();
    }

    @Override
    public long[] cumulativeCounts() {
        return cumulativeCounts.clone();
    }
}
