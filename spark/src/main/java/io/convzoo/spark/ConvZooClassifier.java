package io.convzoo.spark;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;

/**
 * The top-K classes of each image: column {@code predictions}, array&lt;struct&lt;label: string,
 * probability: double&gt;&gt;, most probable first (probabilities as DJL's Classifications gives them).
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("photos/");
 * Dataset<Row> top3 = new ConvZooClassifier().setModel("res2net_small").setTopK(3).transform(images);
 * }</pre>
 */
public final class ConvZooClassifier extends ConvZooTransformer<ConvZooClassifier> {

    private static final long serialVersionUID = 1L;

    private final IntParam topK;

    public ConvZooClassifier() {
        this(Identifiable$.MODULE$.randomUID("convZooClassifier"));
    }

    /** Reads one saved with {@code write().save(path)}; Spark's pipeline loading finds it by this name. */
    public static MLReader<ConvZooClassifier> read() {
        return new DefaultParamsReader<>();
    }

    /** {@code read().load(path)}. */
    public static ConvZooClassifier load(String path) {
        return read().load(path);
    }

    /** With a given uid (Spark's copy and pipeline loading call this). */
    public ConvZooClassifier(String uid) {
        super(uid, "predictions");
        topK = new IntParam(this, "topK", "classes per image (>= 1)", ParamValidators.gtEq(1));
        setDefault(topK, 5);
    }

    /** Classes per image. */
    public IntParam topK() {
        return topK;
    }

    public ConvZooClassifier setTopK(int value) {
        set(topK, value);
        return this;
    }

    public int getTopK() {
        return (Integer) $(topK);
    }

    @Override
    Output output() {
        return Output.TOP_K;
    }

    @Override
    int topKOrZero() {
        return getTopK();
    }
}
