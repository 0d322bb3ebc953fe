package io.convzoo.blocks.script;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.pooling.Pool;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A parameter-free functional block (a DJL {@link LambdaBlock}, so the summary shows it as one) that
 * also states its TorchScript form: {@code script} writes the op for the input variable and returns
 * the output variable.
 */
public class ScriptedLambda extends LambdaBlock implements Scriptable {

    private final BiFunction<ScriptWriter, String, String> script;

    /**
     * @param forward the Java forward of one array
     * @param name the block's name (shown by the summary)
     * @param script writes the same op for its input variable, returns the output variable
     */
    public ScriptedLambda(Function<NDList, NDList> forward, String name,
                          BiFunction<ScriptWriter, String, String> script) {
        super(forward, name);
        this.script = script;
    }

    /** Max pooling, square window (PyTorch's MaxPool2d(kernel, stride, padding)). */
    public static ScriptedLambda maxPool2d(int kernel, int stride, int padding) {
        Shape k = new Shape(kernel, kernel);
        Shape s = new Shape(stride, stride);
        Shape p = new Shape(padding, padding);
        return new ScriptedLambda(list -> new NDList(Pool.maxPool2d(list.singletonOrThrow(), k, s, p, false)),
                "maxPool2d", (w, x) -> w.maxPool2d(x, kernel, stride, padding));
    }

    /** Global average pool to (N, C). */
    public static ScriptedLambda globalAvgPool() {
        return new ScriptedLambda(list -> new NDList(Pool.globalAvgPool2d(list.singletonOrThrow())), "globalAvgPool",
                (w, x) -> w.let("torch.flatten(torch.adaptive_avg_pool2d(" + x + ", [1, 1]), 1)"));
    }

    /** Identity (a residual branch without downsample); its script is its input itself. */
    public static ScriptedLambda identity() {
        return new ScriptedLambda(list -> list, "identity", null);
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        if (script == null) {
            return inputs;
        }
        if (inputs.size() != 1) {
            throw new UnsupportedOperationException(getName() + " takes one array, got " + inputs.size());
        }
        return List.of(script.apply(w, inputs.get(0)));
    }
}
