package io.convzoo.blocks.octconv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Resampling;

/**
 * Test-only wrapper without parameters that lets the single-array training check drive an
 * octave block: it splits one (N, C, H, W) input into high channels and average-pooled low
 * channels, and joins an output pair back into one array (low part upsampled, concatenated).
 */
final class SingleArrayAdapter extends AbstractBlock {

    private final Block inner;
    private final int highIn;
    private final boolean pairIn;

    SingleArrayAdapter(Block inner, int highIn, boolean pairIn) {
        this.inner = inner;
        this.highIn = highIn;
        this.pairIn = pairIn;
        addChildBlock("inner", inner);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList in = pairIn ? splitPair(x) : new NDList(x);
        NDList out = inner.forward(ps, in, training, params);
        if (out.size() == 1) {
            return out;
        }
        return new NDList(NDArrays.concat(new NDList(out.get(0), Resampling.nearestUpsample2x(out.get(1))), 1));
    }

    private NDList splitPair(NDArray x) {
        NDList parts = x.split(new long[] {highIn}, 1);
        return new NDList(parts.get(0), Resampling.avgPool2x2(parts.get(1)));
    }

    private Shape[] innerInputs(Shape x) {
        return pairIn
                ? new Shape[] {new Shape(x.get(0), highIn, x.get(2), x.get(3)),
                               new Shape(x.get(0), x.get(1) - highIn, x.get(2) / 2, x.get(3) / 2)}
                : new Shape[] {x};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        inner.initialize(manager, dataType, innerInputs(inputShapes[0]));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] out = inner.getOutputShapes(innerInputs(inputShapes[0]));
        if (out.length == 1) {
            return out;
        }
        return new Shape[] {new Shape(out[0].get(0), out[0].get(1) + out[1].get(1), out[0].get(2), out[0].get(3))};
    }
}
