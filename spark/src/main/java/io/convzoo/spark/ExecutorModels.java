package io.convzoo.spark;

import ai.djl.MalformedModelException;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.djl.ModelTarget;
import io.convzoo.zoo.infer.EngineThreads;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): each loaded once, at the
 * first task that needs it, and shared by every later task and transform. A ZooModel is safe to
 * share; its predictors are not, so each task makes its own.
 */
final class ExecutorModels {

    /** What identifies one loaded model: the {@code <id|DIR>} and the output it was loaded for. */
    record Key(String model, Class<?> output) {}

    private static final Map<Key, ZooModel<Image, ?>> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final Map<Key, AtomicInteger> LOADS_PER_KEY = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /**
     * The model for {@code key}, loaded on first use. {@code intraOpThreads} sets libtorch's threads
     * if this load starts the engine and nobody chose them (the first task's cores).
     */
    @SuppressWarnings("unchecked")
    static <O> ZooModel<Image, O> get(Key key, int intraOpThreads) {
        // computeIfAbsent: one load per key even when several tasks of an executor start together.
        return (ZooModel<Image, O>) MODELS.computeIfAbsent(key, k -> load(k, intraOpThreads));
    }

    /** Models loaded by this JVM so far (every key counted). */
    static int loads() {
        return LOADS.get();
    }

    /** How often this JVM loaded {@code key}'s model. */
    static int loads(Key key) {
        AtomicInteger count = LOADS_PER_KEY.get(key);
        return count == null ? 0 : count.get();
    }

    private static ZooModel<Image, ?> load(Key key, int intraOpThreads) {
        // Executors started by spark-submit may lack the flags bin/convzoo passes; DJL reads them at engine start.
        setIfUnset("ai.djl.offline", "true");
        setIfUnset("ai.djl.default_engine", "PyTorch");
        EngineThreads.setIntraOpThreadsUnlessChosen(intraOpThreads);
        try {
            ZooModel<Image, ?> model = ModelTarget.resolve(key.model(), false)
                    .criteria(Image.class, key.output(), false).build().loadModel();
            LOADS.incrementAndGet();
            LOADS_PER_KEY.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            return model;
        } catch (IOException | ModelNotFoundException | MalformedModelException e) {
            throw new IllegalStateException("cannot load model " + key.model() + ": " + e.getMessage(), e);
        }
    }

    private static void setIfUnset(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
