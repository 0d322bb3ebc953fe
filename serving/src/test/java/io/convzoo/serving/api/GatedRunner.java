package io.convzoo.serving.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test runner whose batches wait at a gate until the test opens it, so queue-full, timeout and
 * shutdown cases are reproducible without timing. Output row i = {sum of input i, batch size}.
 */
public final class GatedRunner implements BatchRunner {

    public final CountDownLatch entered = new CountDownLatch(1);
    public final CountDownLatch gate = new CountDownLatch(1);
    public final AtomicInteger itemsRun = new AtomicInteger();

    /** A 1×2×2 model with two classes, served through a GatedRunner. */
    public static ServedModel model(String name) {
        return new ServedModel(name, "test", "fashion-mnist", new long[] {1, 2, 2}, List.of("sum", "batch"), 0, 0,
                ServedModel.WEIGHTS_UNTRAINED, Map.of());
    }

    @Override
    public float[][] run(float[][] inputs, long[] itemShape) throws InterruptedException {
        entered.countDown();
        if (!gate.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("test never opened the gate");
        }
        float[][] out = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            float sum = 0;
            for (float v : inputs[i]) {
                sum += v;
            }
            out[i] = new float[] {sum, inputs.length};
        }
        itemsRun.addAndGet(inputs.length);
        return out;
    }
}
