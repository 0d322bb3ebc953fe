package io.convzoo.blocks;

import java.util.ArrayList;
import java.util.List;

/**
 * ReLU on every value of its input (one array, or an octave (high, low) pair), as a block whose shape
 * inference allocates nothing (DJL's LambdaBlock runs the lambda on zeros). {@link Layers#relu()}
 * returns it; it stands where the official modules have an {@code nn.ReLU} child.
 */
public class ReluBlock extends DataflowBlock {

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        List<T> out = new ArrayList<>(inputs.size());
        for (T x : inputs) {
            out.add(ops.relu(x));
        }
        return out;
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
