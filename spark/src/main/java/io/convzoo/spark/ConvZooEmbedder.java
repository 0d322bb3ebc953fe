package io.convzoo.spark;

import org.apache.spark.ml.util.Identifiable$;

/**
 * The pooled pre-logit embedding of each image (the model with its classifier dropped, as
 * {@code Criteria<Image, float[]>} loads it): column {@code embedding}, array&lt;float&gt;.
 */
public final class ConvZooEmbedder extends ConvZooTransformer<ConvZooEmbedder> {

    private static final long serialVersionUID = 1L;

    public ConvZooEmbedder() {
        this(Identifiable$.MODULE$.randomUID("convZooEmbedder"));
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
