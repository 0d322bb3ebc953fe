package io.convzoo.spark;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;

/**
 * The pooled pre-logit embedding of each image (the model with its classifier dropped, as
 * {@code Criteria<Image, float[]>} loads it): column {@code embedding}, array&lt;float&gt;.
 */
public final class ConvZooEmbedder extends ConvZooTransformer<ConvZooEmbedder> {

    private static final long serialVersionUID = 1L;

    public ConvZooEmbedder() {
        this(Identifiable$.MODULE$.randomUID("convZooEmbedder"));
    }

    /** Reads one saved with {@code write().save(path)}; Spark's pipeline loading finds it by this name. */
    public static MLReader<ConvZooEmbedder> read() {
        return new DefaultParamsReader<>();
    }

    /** {@code read().load(path)}. */
    public static ConvZooEmbedder load(String path) {
        return read().load(path);
    }

    /** With a given uid (Spark's copy and pipeline loading call this). */
    public ConvZooEmbedder(String uid) {
        super(uid, "embedding");
    }

    @Override
    Output output() {
        return Output.EMBEDDING;
    }

    @Override
    int topKOrZero() {
        return 0;
    }
}
