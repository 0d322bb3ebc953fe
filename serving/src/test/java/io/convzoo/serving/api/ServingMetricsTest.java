package io.convzoo.serving.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Micrometer meters keep the series names of the former hand-written exposition, with exact values. */
class ServingMetricsTest {

    @Test
    void exposesTheSameSeriesWithExactCountsBucketsAndSums() {
        ServingMetrics m = new ServingMetrics();
        m.recordRequest("x", 200, 3_000_000);   // 3 ms
        m.recordRequest("x", 200, 30_000_000);  // 30 ms
        m.recordRequest("", 404, 1_000);
        m.recordBatch("x", 3);
        m.recordBatch("x", 8);
        m.recordInference("x", 2_000_000);
        m.recordSkipped("x");
        AtomicInteger depth = new AtomicInteger(7);
        m.bindQueue("x", depth, AtomicInteger::get);

        String text = m.toPrometheusText();
        assertTrue(text.contains("# TYPE convzoo_requests_total counter\n"), text);
        assertTrue(text.contains("convzoo_requests_total{model=\"x\",status=\"200\"} 2.0\n"), text);
        assertTrue(text.contains("convzoo_requests_total{model=\"\",status=\"404\"} 1.0\n"), text);
        assertTrue(text.contains("# TYPE convzoo_request_latency_seconds histogram\n"), text);
        assertTrue(text.contains("convzoo_request_latency_seconds_bucket{model=\"x\",le=\"0.0025\"} 0\n"), text);
        assertTrue(text.contains("convzoo_request_latency_seconds_bucket{model=\"x\",le=\"0.005\"} 1\n"), text);
        assertTrue(text.contains("convzoo_request_latency_seconds_bucket{model=\"x\",le=\"0.05\"} 2\n"), text);
        assertTrue(text.contains("convzoo_request_latency_seconds_bucket{model=\"x\",le=\"+Inf\"} 2\n"), text);
        assertTrue(text.contains("convzoo_request_latency_seconds_sum{model=\"x\"} 0.033\n"), text);
        assertTrue(text.contains("convzoo_batch_size_bucket{model=\"x\",le=\"2.0\"} 0\n"), text);
        assertTrue(text.contains("convzoo_batch_size_bucket{model=\"x\",le=\"4.0\"} 1\n"), text);
        assertTrue(text.contains("convzoo_batch_size_bucket{model=\"x\",le=\"8.0\"} 2\n"), text);
        assertTrue(text.contains("convzoo_batch_size_count{model=\"x\"} 2\n"), text);
        assertTrue(text.contains("convzoo_batch_size_sum{model=\"x\"} 11.0\n"), text);
        assertTrue(text.contains("convzoo_inference_seconds_bucket{model=\"x\",le=\"0.0025\"} 1\n"), text);
        assertTrue(text.contains("convzoo_requests_skipped_total{model=\"x\"} 1.0\n"), text);
        assertTrue(text.contains("convzoo_queue_depth{model=\"x\"} 7.0\n"), text);

        assertEquals(2, m.requests("x", 200));
        assertEquals(0, m.requests("x", 500));
        assertEquals(1, m.skipped("x"));
        Histogram sizes = m.batchSizes("x");
        assertArrayEquals(new double[] {1, 2, 4, 8, 16, 32, 64, 128}, sizes.bounds());
        assertArrayEquals(new long[] {0, 0, 1, 2, 2, 2, 2, 2}, sizes.cumulativeCounts());
        assertEquals(2, sizes.count());
        assertEquals(11.0, sizes.sum());
        Histogram busy = m.inferenceSeconds("x");
        assertEquals(0.002, busy.sum(), 1e-12);
        assertArrayEquals(new long[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, busy.cumulativeCounts());
        assertEquals(0, m.batchSizes("never").count());

        m.unbindQueue("x");
        assertFalse(m.toPrometheusText().contains("convzoo_queue_depth{model=\"x\"}"), "an unregistered model's gauge goes");
    }
}
