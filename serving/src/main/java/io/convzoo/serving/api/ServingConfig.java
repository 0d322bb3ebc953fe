package io.convzoo.serving.api;

/**
 * How one served model batches and queues requests.
 *
 * @param workers worker threads, each with its own DJL predictor (predictors are not thread-safe)
 * @param batchSize largest batch a worker runs at once
 * @param maxBatchDelayMs how long a worker waits for more requests after the first of a batch
 * @param queueCapacity requests waiting beyond that are refused ({@link QueueFullException})
 * @param timeoutMs a request not answered within this time fails ({@link RequestTimeoutException})
 */
public record ServingConfig(int workers, int batchSize, long maxBatchDelayMs, int queueCapacity, long timeoutMs) {

    /** One worker per two cores (libtorch already uses several threads per forward), batch 8, 5 ms delay. */
    public static ServingConfig defaults() {
        return new ServingConfig(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 8, 5, 256, 30_000);
    }

    public ServingConfig {
        require(workers >= 1, "workers must be >= 1, got " + workers);
        require(batchSize >= 1, "batchSize must be >= 1, got " + batchSize);
        require(maxBatchDelayMs >= 0, "maxBatchDelayMs must be >= 0, got " + maxBatchDelayMs);
        require(queueCapacity >= 1, "queueCapacity must be >= 1, got " + queueCapacity);
        require(timeoutMs >= 1, "timeoutMs must be >= 1, got " + timeoutMs);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("ServingConfig: " + message);
        }
    }

    public ServingConfig withWorkers(int n) {
        return new ServingConfig(n, batchSize, maxBatchDelayMs, queueCapacity, timeoutMs);
    }

    public ServingConfig withBatchSize(int n) {
        return new ServingConfig(workers, n, maxBatchDelayMs, queueCapacity, timeoutMs);
    }

    public ServingConfig withMaxBatchDelayMs(long ms) {
        return new ServingConfig(workers, batchSize, ms, queueCapacity, timeoutMs);
    }

    public ServingConfig withQueueCapacity(int n) {
        return new ServingConfig(workers, batchSize, maxBatchDelayMs, n, timeoutMs);
    }

    public ServingConfig withTimeoutMs(long ms) {
        return new ServingConfig(workers, batchSize, maxBatchDelayMs, queueCapacity, ms);
    }
}
