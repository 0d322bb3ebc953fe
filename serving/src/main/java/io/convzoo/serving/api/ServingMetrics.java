package io.convzoo.serving.api;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/**
 * Serving counters in the Prometheus text format (version 0.0.4): requests by model and status,
 * request latency, batch sizes, skipped (timed-out) requests and the current queue depth.
 */
public final class ServingMetrics {

    static final double[] LATENCY_BOUNDS_S = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static final double[] BATCH_BOUNDS = {1, 2, 4, 8, 16, 32, 64, 128};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, Histogram> batchSizes = new ConcurrentHashMap<>();
    private final Map<String, Histogram> inference = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> skipped = new ConcurrentHashMap<>();
    private volatile ToLongFunction<String> queueDepth = m -> 0;
    private volatile Iterable<String> models = java.util.List.of();

    /** Counts one answered request (any status) and its latency. Model "" for requests naming none. */
    public void recordRequest(String model, int status, long nanos) {
        requests.computeIfAbsent(model + '\u0000' + status, k -> new LongAdder()).increment();
        latency.computeIfAbsent(model, k -> new Histogram(LATENCY_BOUNDS_S)).observe(nanos / 1e9);
    }

    public void recordBatch(String model, int size) {
        batchSizes.computeIfAbsent(model, k -> new Histogram(BATCH_BOUNDS)).observe(size);
    }

    /** Time one batch spent in the model (the worker's forward, pre- and post-processing of tensors). */
    public void recordInference(String model, long nanos) {
        inference.computeIfAbsent(model, k -> new Histogram(LATENCY_BOUNDS_S)).observe(nanos / 1e9);
    }

    /** Histogram of per-batch inference seconds for a model (empty when none ran). */
    public Histogram inferenceSeconds(String model) {
        return inference.getOrDefault(model, new Histogram(LATENCY_BOUNDS_S));
    }

    public void recordSkipped(String model) {
        skipped.computeIfAbsent(model, k -> new LongAdder()).increment();
    }

    void bindQueues(Iterable<String> modelNames, ToLongFunction<String> depth) {
        this.models = modelNames;
        this.queueDepth = depth;
    }

    /** Requests answered so far for a model with a status. */
    public long requests(String model, int status) {
        LongAdder a = requests.get(model + '\u0000' + status);
        return a == null ? 0 : a.sum();
    }

    /** Histogram of batch sizes run for a model (empty when none ran). */
    public Histogram batchSizes(String model) {
        return batchSizes.getOrDefault(model, new Histogram(BATCH_BOUNDS));
    }

    /** Queued requests a worker dropped because their caller had already timed out. */
    public long skipped(String model) {
        LongAdder a = skipped.get(model);
        return a == null ? 0 : a.sum();
    }

    /** The Prometheus text exposition. */
    public String toPrometheusText() {
        StringBuilder out = new StringBuilder();
        out.append("# HELP convzoo_requests_total Requests answered, by model and HTTP status.\n");
        out.append("# TYPE convzoo_requests_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
            String[] key = e.getKey().split("\u0000", 2);
            out.append("convzoo_requests_total{model=\"").append(escape(key[0])).append("\",status=\"")
                    .append(key[1]).append("\"} ").append(e.getValue().sum()).append('\n');
        }
        histograms(out, "convzoo_request_latency_seconds", "Time from request received to response sent.", latency);
        histograms(out, "convzoo_batch_size", "Requests per batch run by a worker.", batchSizes);
        histograms(out, "convzoo_inference_seconds", "Time a worker spent running one batch.", inference);
        out.append("# HELP convzoo_requests_skipped_total Queued requests dropped because their caller timed out.\n");
        out.append("# TYPE convzoo_requests_skipped_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(skipped).entrySet()) {
            out.append("convzoo_requests_skipped_total{model=\"").append(escape(e.getKey())).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        out.append("# HELP convzoo_queue_depth Requests waiting for a worker.\n");
        out.append("# TYPE convzoo_queue_depth gauge\n");
        for (String m : models) {
            out.append("convzoo_queue_depth{model=\"").append(escape(m)).append("\"} ")
                    .append(queueDepth.applyAsLong(m)).append('\n');
        }
        return out.toString();
    }

    private static void histograms(StringBuilder out, String name, String help, Map<String, Histogram> byModel) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (Map.Entry<String, Histogram> e : new TreeMap<>(byModel).entrySet()) {
            String model = escape(e.getKey());
            Histogram h = e.getValue();
            double[] bounds = h.bounds();
            long[] cumulative = h.cumulativeCounts();
            long count = h.count();
            for (int i = 0; i < bounds.length; i++) {
                out.append(name).append("_bucket{model=\"").append(model).append("\",le=\"").append(number(bounds[i]))
                        .append("\"} ").append(cumulative[i]).append('\n');
            }
            out.append(name).append("_bucket{model=\"").append(model).append("\",le=\"+Inf\"} ").append(count).append('\n');
            out.append(name).append("_sum{model=\"").append(model).append("\"} ").append(number(h.sum())).append('\n');
            out.append(name).append("_count{model=\"").append(model).append("\"} ").append(count).append('\n');
        }
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    /** Label values escape backslash, quote and newline (exposition format). */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
