package io.convzoo.zoo.arch.dyconv;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.infer.FoldingSequential;

/**
 * The top level of a DY-ResNet: a {@link NamedSequential} (children conv1 ... fc, as the official
 * module) that first checks the image batch, so a wrong input names the model and the expected
 * (N, C, H, W) shape instead of failing inside the static stem conv.
 */
final class DyResNetRoot extends FoldingSequential {

    private final String name;
    private final int inputChannels;

    DyResNetRoot(String name, int inputChannels) {
        this.name = name;
        this.inputChannels = inputChannels;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        Checks.require(inputs.size() == 1, name, "expected one input of shape (N, C=" + inputChannels
                + ", H, W), got " + inputs.size() + " inputs");
        Checks.requireNchw(name, inputs.head(), inputChannels);
        return super.forwardInternal(ps, inputs, training, params);
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Checks.require(inputShapes.length == 1, name, "expected one input of shape (N, C=" + inputChannels
                + ", H, W), got " + inputShapes.length + " inputs");
        Checks.requireNchw(name, inputShapes[0], inputChannels);
        return super.trace(inputShapes, visitor);
    }
}
