package io.convzoo.serving.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Waits for the JVM's JIT compiler to go idle before timed rounds. Compiler threads that are still
 * working take one of the cores from libtorch's intra-op threads, and a forward that shares its core
 * with a compilation stalls at the next parallel barrier: on 2 cores, single ops then took 5–15× their
 * median, dozens of compilations were still finishing after a 300-forward warm-up, and these stalls
 * fall on whichever side runs at that moment.
 */
final class JitSettle {

    private static final long QUIET_WINDOW_MILLIS = 500;

    private JitSettle() {}

    /**
     * Returns once the compiler's accumulated time has not grown over a whole quiet window, or after
     * {@code maxMillis}; returns the milliseconds waited. Without compilation-time monitoring it
     * returns at once.
     */
    static long await(long maxMillis) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return 0;
        }
        long start = System.nanoTime();
        long before = jit.getTotalCompilationTime();
        while (elapsedMillis(start) < maxMillis) {
            try {
                Thread.sleep(QUIET_WINDOW_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = jit.getTotalCompilationTime();
            if (now == before) {
                break;
            }
            before = now;
        }
        return elapsedMillis(start);
    }

    private static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
