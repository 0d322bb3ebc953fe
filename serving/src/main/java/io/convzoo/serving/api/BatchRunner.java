package io.convzoo.serving.api;

/**
 * Runs one batch of a model's forward. One instance per worker thread, never shared, so an
 * implementation may hold a non-thread-safe DJL predictor.
 */
public interface BatchRunner extends AutoCloseable {

    /**
     * Runs {@code inputs.length} items of shape {@code itemShape} (C, H, W) as one batch.
     *
     * @return one output row (e.g. logits) per input, in order
     */
    float[][] run(float[][] inputs, long[] itemShape) throws Exception;

    @Override
    default void close() {}
}
