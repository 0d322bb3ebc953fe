package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import java.util.List;

/**
 * ReLU on every array of its input (one array, or an octave (high, low) pair), whose output shapes
 * are its input shapes. {@link Layers#relu()} returns it: DJL's LambdaBlock infers shapes by running
 * the lambda on freshly allocated zero arrays, which made shape inference of a full network at
 * 224×224 cost seconds.
 */
public class ReluBlock extends AbstractBlock implements Scriptable {

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList out = new NDList(inputs.size());
        for (NDArray x : inputs) {
            out.add(Activation.relu(x));
        }
        return out;
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        return inputs.stream().map(w::relu).toList();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes.clone();
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
