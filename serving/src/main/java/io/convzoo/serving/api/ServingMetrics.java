package io.convzoo.serving.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Serving meters on Micrometer, scraped in the Prometheus text format: requests by model and status
 * ({@code convzoo_requests_total}), request latency ({@code convzoo_request_latency_seconds}), batch
 * sizes ({@code convzoo_batch_size}), time per batch ({@code convzoo_inference_seconds}), skipped
 * (timed-out) requests ({@code convzoo_requests_skipped_total}) and queue depth
 * ({@code convzoo_queue_depth}). Histograms have fixed buckets (service-level objectives), so the
 * exposition is a Prometheus histogram with the same {@code le} bounds whatever was observed.
 */
public final class ServingMetrics {

    static final double[] LATENCY_BOUNDS_S = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static final double[] BATCH_BOUNDS = {1, 2, 4, 8, 16, 32, 64, 128};
    private static final Duration[] LATENCY_SLOS = Arrays.stream(LATENCY_BOUNDS_S)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Meters by name and model (and status), so the hot path does not go through the registry's lookup. */
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Timer> latency = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
    private final Map<String, Timer> inference = new ConcurrentHashMap<>();
    private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
    private final Map<String, Gauge> queues = new ConcurrentHashMap<>();

    /** The Micrometer registry behind these meters (to add JVM or process meters, or another exporter). */
    public MeterRegistry registry() {
        return registry;
    }

    /** Counts one answered request (any status) and its latency. Model "" for requests naming none. */
    public void recordRequest(String model, int status, long nanos) {
        requests.computeIfAbsent(model + '\u0000' + status, k -> Counter.builder("convzoo.requests")
                .description("Requests answered, by model and HTTP status.")
                .tag("model", model).tag("status", Integer.toString(status)).register(registry)).increment();
        latency.computeIfAbsent(model, m -> Timer.builder("convzoo.request.latency")
                .description("Time from request received to response sent.").tag("model", m)
                .serviceLevelObjectives(LATENCY_SLOS).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void recordBatch(String model, int size) {
        batchSize(model).record(size);
    }

    /** Time one batch spent in the model (the worker's forward, pre- and post-processing of tensors). */
    public void recordInference(String model, long nanos) {
        inferenceTimer(model).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void recordSkipped(String model) {
        skipped.computeIfAbsent(model, m -> Counter.builder("convzoo.requests.skipped")
                .description("Queued requests dropped because their caller timed out.").tag("model", m)
                .register(registry)).increment();
    }

    /** Publishes a model's queue depth ({@code convzoo_queue_depth}) while it is served. */
    <T> void bindQueue(String model, T endpoint, ToDoubleFunction<T> depth) {
        unbindQueue(model);
        queues.put(model, Gauge.builder("convzoo.queue.depth", endpoint, depth)
                .description("Requests waiting for a worker.").tag("model", model).register(registry));
    }

    /** Drops a model's queue gauge once it is no longer served; its counters and histograms stay. */
    void unbindQueue(String model) {
        Meter old = queues.remove(model);
        if (old != null) {
            registry.remove(old);
        }
    }

    /** Requests answered so far for a model with a status. */
    public long requests(String model, int status) {
        Counter c = requests.get(model + '\u0000' + status);
        return c == null ? 0 : (long) c.count();
    }

    /** Histogram of batch sizes run for a model (empty when none ran). */
    public Histogram batchSizes(String model) {
        DistributionSummary s = batchSizes.get(model);
        return s == null ? Histogram.empty(BATCH_BOUNDS) : histogram(s.takeSnapshot(), BATCH_BOUNDS, 1);
    }

    /** Histogram of per-batch inference seconds for a model (empty when none ran). */
    public Histogram inferenceSeconds(String model) {
        Timer t = inference.get(model);
        return t == null ? Histogram.empty(LATENCY_BOUNDS_S) : histogram(t.takeSnapshot(), LATENCY_BOUNDS_S, 1e-9);
    }

    /** Queued requests a worker dropped because their caller had already timed out. */
    public long skipped(String model) {
        Counter c = skipped.get(model);
        return c == null ? 0 : (long) c.count();
    }

    /** The Prometheus text exposition (format 0.0.4). */
    public String toPrometheusText() {
        return registry.scrape();
    }

    private DistributionSummary batchSize(String model) {
        return batchSizes.computeIfAbsent(model, m -> DistributionSummary.builder("convzoo.batch.size")
                .description("Requests per batch run by a worker.").tag("model", m)
                .serviceLevelObjectives(BATCH_BOUNDS).register(registry));
    }

    private Timer inferenceTimer(String model) {
        return inference.computeIfAbsent(model, m -> Timer.builder("convzoo.inference")
                .description("Time a worker spent running one batch.").tag("model", m)
                .serviceLevelObjectives(LATENCY_SLOS).register(registry));
    }

    /**
     * Micrometer's snapshot as cumulative counts per bound; {@code toBase} converts its raw values
     * (nanoseconds for timers) to the bounds' unit.
     */
    private static Histogram histogram(HistogramSnapshot snapshot, double[] bounds, double toBase) {
        long[] cumulative = new long[bounds.length];
        CountAtBucket[] buckets = snapshot.histogramCounts();
        for (int i = 0; i < bounds.length; i++) {
            for (CountAtBucket b : buckets) {
                if (Math.abs(b.bucket() * toBase - bounds[i]) <= 1e-9 * Math.max(1, bounds[i])) {
                    cumulative[i] = (long) b.count();
                }
            }
        }
        return new Histogram(bounds, cumulative, snapshot.count(), snapshot.total() * toBase);
    }
}
