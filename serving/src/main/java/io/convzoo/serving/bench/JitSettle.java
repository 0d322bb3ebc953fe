package io.convzoo.serving.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Waits for the JVM's JIT compiler to go idle before timed rounds. A compiler thread that is still
 * working takes one of the cores from libtorch's intra-op threads, and a forward sharing its core with
 * it stalls at the next parallel barrier, whichever side of a comparison runs at that moment. After a
 * 300-forward warm-up, 76 compilations were still finishing during dy_resnet18's timed rounds
 * ({@code -Xlog:jit+compilation}).
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
