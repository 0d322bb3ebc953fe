package io.convzoo.serving.api;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A cumulative Prometheus-style histogram with fixed upper bounds; lock-free to record. */
public final class Histogram {

    private final double[] bounds;
    private final LongAdder[] counts;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double... bounds) {
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void observe(double value) {
        for (int i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(value);
    }

    public double[] bounds() {
        return bounds.clone();
    }

    /** Cumulative counts per bound (observations ≤ bound), as Prometheus' {@code _bucket} lines. */
    public long[] cumulativeCounts() {
        long[] out = new long[bounds.length];
        long running = 0;
        for (int i = 0; i < bounds.length; i++) {
            running += counts[i].sum();
            out[i] = running;
        }
        return out;
    }

    public long count() {
        return count.sum();
    }

    public double sum() {
        return sum.sum();
    }
}
