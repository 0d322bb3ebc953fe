package io.convzoo.serving.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served model: a bounded request queue and a pool of worker threads, each owning one
 * {@link BatchRunner} (one DJL predictor). A worker takes the first waiting request, waits at most
 * {@code maxBatchDelayMs} for more, up to {@code batchSize}, and runs them as one batch; one worker
 * at a time forms a batch. Requests whose caller already timed out are skipped. {@link #close()}
 * refuses new requests, lets the workers finish everything already queued, then closes the runners.
 * Thread-safe.
 */
public final class ModelEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelEndpoint.class);

    private final ServedModel info;
    private final ServingConfig config;
    private final ServingMetrics metrics;
    private final BlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final Object admission = new Object();
    /**
     * One worker at a time forms a batch. When idle workers all polled the queue, the requests of one
     * wave were spread over them and none filled its batch before the delay ran out (2 workers × batch 8
     * at 8 clients: 0.68× the offline throughput); now the first free worker takes the wave, the next
     * one the requests that come during its forward.
     */
    private final ReentrantLock forming = new ReentrantLock();
    private final LongAdder batches = new LongAdder();
    private volatile boolean accepting = true;
    /** Where the model's forwards run, asked each time; null: not known (a runner that is not a zoo model). */
    private final Supplier<String> runtime;

    private record Job(float[] input, CompletableFuture<float[]> result) {}

    /**
     * @param runners makes one runner per worker; called on the worker's own thread
     */
    public ModelEndpoint(ServedModel info, ServingConfig config, ServingMetrics metrics, Supplier<BatchRunner> runners) {
        this(info, config, metrics, runners, null);
    }

    /**
     * @param runners makes one runner per worker; called on the worker's own thread
     * @param runtime where the model's forwards run now (Inference.runtimeOf of its block), or null
     */
    public ModelEndpoint(ServedModel info, ServingConfig config, ServingMetrics metrics, Supplier<BatchRunner> runners,
                         Supplier<String> runtime) {
        this.runtime = runtime;
        this.info = info;
        this.config = config;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        for (int i = 0; i < config.workers(); i++) {
            Thread t = new Thread(() -> workLoop(runners), "convzoo-" + info.name() + "-worker-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    public ServedModel info() {
        return info;
    }

    public ServingConfig config() {
        return config;
    }

    /**
     * Where the model's forwards run now: "onnxruntime", with the input shapes {@code runtime=auto} measured
     * faster on libtorch, or "libtorch (why)"; null when not known.
     */
    public String runtime() {
        return runtime == null ? null : runtime.get();
    }

    Supplier<String> runtimeSource() {
        return runtime;
    }

    /** Requests waiting for a worker now. */
    public int queueDepth() {
        return queue.size();
    }

    /** Batches run so far. */
    public long batchesRun() {
        return batches.sum();
    }

    /**
     * Queues one item of the model's input shape (C×H×W floats). The future completes with its output
     * row, or fails with {@link RequestTimeoutException} after the configured timeout.
     *
     * @throws BadInputException the input does not have C×H×W elements
     * @throws QueueFullException the queue is full
     * @throws ServiceClosedException the endpoint is shutting down
     */
    public CompletableFuture<float[]> submit(float[] input) {
        long expected = info.itemElements();
        if (input.length != expected) {
            throw new BadInputException("model '" + info.name() + "' expects " + expected + " values (shape "
                    + Arrays.toString(info.inputShape()) + "), got " + input.length);
        }
        CompletableFuture<float[]> future = new CompletableFuture<>();
        synchronized (admission) { // so close() never leaves a job behind the workers
            if (!accepting) {
                throw new ServiceClosedException(info.name());
            }
            if (!queue.offer(new Job(input, future))) {
                throw new QueueFullException(info.name(), config.queueCapacity());
            }
        }
        CompletableFuture<float[]> timed = new CompletableFuture<>();
        future.whenComplete((v, e) -> {
            if (e == null) {
                timed.complete(v);
            } else {
                timed.completeExceptionally(e);
            }
        });
        return timed.orTimeout(config.timeoutMs(), TimeUnit.MILLISECONDS).handle((v, e) -> {
            if (e instanceof java.util.concurrent.TimeoutException) {
                // Mark the job done before the caller hears of the timeout, so a worker skips it.
                future.cancel(false);
                throw new RequestTimeoutException(info.name(), config.timeoutMs());
            }
            if (e != null) {
                throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
            }
            return v;
        });
    }

    private void workLoop(Supplier<BatchRunner> runners) {
        try (BatchRunner runner = runners.get()) {
            List<Job> batch = new ArrayList<>(config.batchSize());
            while (true) {
                boolean drained;
                forming.lockInterruptibly();
                try {
                    drained = !collect(batch);
                } finally {
                    forming.unlock();
                }
                if (drained) {
                    return;
                }
                if (batch.isEmpty()) {
                    continue;
                }
                runBatch(runner, batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("worker of {} stopped: {}", info.name(), e.toString(), e);
        } finally {
            failLeftovers();
        }
    }

    /**
     * Fills {@code batch} with the first waiting request and whatever follows within the batch delay,
     * up to the batch size; leaves it empty when nothing came within 50 ms. False once the endpoint is
     * closed and its queue empty (the worker may leave).
     */
    private boolean collect(List<Job> batch) throws InterruptedException {
        batch.clear();
        Job first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
            return accepting || !queue.isEmpty();
        }
        batch.add(first);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.maxBatchDelayMs());
        while (batch.size() < config.batchSize()) {
            queue.drainTo(batch, config.batchSize() - batch.size());
            long left = deadline - System.nanoTime();
            if (batch.size() >= config.batchSize() || left <= 0) {
                break;
            }
            Job next = queue.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return true;
    }

    private void runBatch(BatchRunner runner, List<Job> batch) {
        List<Job> live = new ArrayList<>(batch.size());
        for (Job j : batch) {
            if (j.result().isDone()) {
                metrics.recordSkipped(info.name()); // its caller gave up (timeout): do not spend a forward on it
            } else {
                live.add(j);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        float[][] inputs = new float[live.size()][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = live.get(i).input();
        }
        metrics.recordBatch(info.name(), inputs.length);
        batches.increment();
        long start = System.nanoTime();
        try {
            float[][] outputs = runner.run(inputs, info.inputShape());
            metrics.recordInference(info.name(), System.nanoTime() - start);
            if (outputs.length != inputs.length) {
                throw new IllegalStateException("runner returned " + outputs.length + " rows for " + inputs.length);
            }
            for (int i = 0; i < outputs.length; i++) {
                live.get(i).result().complete(outputs[i]);
            }
        } catch (Exception e) {
            LOG.error("batch of {} on {} failed: {}", inputs.length, info.name(), e.toString(), e);
            ServingException failure = new ServingException(500, "inference failed on model '" + info.name() + "': " + e);
            live.forEach(j -> j.result().completeExceptionally(failure));
        }
    }

    /** The last worker to leave (drained, or died) fails whatever is still queued, so no caller is stranded. */
    private void failLeftovers() {
        boolean othersAlive = workers.stream().anyMatch(t -> t != Thread.currentThread() && t.isAlive());
        if (!othersAlive) {
            Job j;
            while ((j = queue.poll()) != null) {
                j.result().completeExceptionally(new ServiceClosedException(info.name()));
            }
        }
    }

    /** Stops taking requests (new ones get {@link ServiceClosedException}); in-flight ones are still served. */
    public void stopAccepting() {
        synchronized (admission) {
            accepting = false;
        }
    }

    /**
     * Graceful shutdown: refuses new requests, waits for the workers to finish every queued and
     * running request, then closes the runners (predictors). Waits at most the request timeout plus
     * a margin; a worker still busy after that is interrupted.
     */
    @Override
    public void close() {
        stopAccepting();
        long waitMs = config.timeoutMs() + 5_000;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        for (Thread t : workers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
                if (t.isAlive()) {
                    LOG.warn("worker {} still busy after {} ms; interrupting it", t.getName(), waitMs);
                    t.interrupt();
                    t.join(1_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
