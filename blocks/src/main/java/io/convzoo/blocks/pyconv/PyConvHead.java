package io.convzoo.blocks.pyconv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TracedBlock;

/**
 * The PyConv segmentation head (iduta/pyconvsegnet {@code PyConvHead}): a {@link LocalPyConv} and a
 * {@link GlobalPyConv} over the same backbone features, concatenated along the channels (local
 * first) and merged by a 3×3 conv + BN + ReLU ({@code MergeLocalGlobal}).
 *
 * <p>Children: {@code local_context}, {@code global_context}, {@code merge_context} (with
 * {@code features.0..2}), the official names.
 */
public class PyConvHead extends TracedBlock {

    static final String NAME = "PyConvHead";

    private final int inChannels;
    private final LocalPyConv local;
    private final GlobalPyConv global;
    private final MergeLocalGlobal merge;

    /** Official head: 512 local + 512 global channels, 9 bins, merged to {@code outChannels}. */
    public PyConvHead(int inChannels, int outChannels) {
        this(inChannels, outChannels, 512, 512, 9, PyramidSpec.OFFICIAL_HEAD);
    }

    /**
     * @param inChannels backbone channels (checked)
     * @param outChannels channels after the merge
     * @param localChannels output channels of the local block
     * @param globalChannels output channels of the global block
     * @param bins pooled size of the global block
     * @param pyramid kernels and groups of both blocks' PyConv
     */
    public PyConvHead(int inChannels, int outChannels, int localChannels, int globalChannels, int bins,
                      PyramidSpec pyramid) {
        this.inChannels = inChannels;
        this.local = addChildBlock("local_context", new LocalPyConv(inChannels, localChannels, 4, pyramid));
        this.global = addChildBlock("global_context", new GlobalPyConv(inChannels, globalChannels, bins, pyramid));
        this.merge = addChildBlock("merge_context", new MergeLocalGlobal(outChannels));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Checks.requireNchw(NAME, x, inChannels);
        NDArray l = local.forward(ps, new NDList(x), training, params).head();
        NDArray g = global.forward(ps, new NDList(x), training, params).head();
        return merge.forward(ps, new NDList(l, g), training, params);
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Checks.require(inputShapes.length == 1, NAME, "expected one input of shape (N, C=" + inChannels
                + ", H, W), got " + inputShapes.length + " inputs");
        Checks.requireNchw(NAME, inputShapes[0], inChannels);
        Shape l = visit(visitor, "local_context", local, inputShapes)[0];
        Shape g = visit(visitor, "global_context", global, inputShapes)[0];
        return visit(visitor, "merge_context", merge, l, g);
    }

    /**
     * Concatenates the local and global context (local first) and applies {@code features}: 3×3 conv
     * (padding 1) + BN + ReLU, as the official {@code MergeLocalGlobal}.
     */
    public static class MergeLocalGlobal extends TracedBlock {

        private final NamedSequential features;

        /** Merges into {@code outChannels} channels. */
        public MergeLocalGlobal(int outChannels) {
            features = addChildBlock("features", new NamedSequential()
                    .add("0", Layers.conv(outChannels, 3, 1, 1, 1, 1, false))
                    .add("1", Layers.batchNorm())
                    .add("2", Layers.relu()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                         PairList<String, Object> params) {
            Checks.require(inputs.size() == 2, "MergeLocalGlobal", "expected (local, global) contexts, got "
                    + inputs.size() + " inputs");
            NDArray x = NDArrays.concat(new NDList(inputs.get(0), inputs.get(1)), 1);
            return features.forward(ps, new NDList(x), training, params);
        }

        @Override
        protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
            Checks.require(inputShapes.length == 2, "MergeLocalGlobal",
                    "expected (local, global) contexts of shape (N, C, H, W), got " + inputShapes.length + " inputs");
            Shape l = inputShapes[0];
            Shape g = inputShapes[1];
            Checks.requireNchw("MergeLocalGlobal", l, -1);
            Checks.requireNchw("MergeLocalGlobal", g, -1);
            Checks.require(l.get(0) == g.get(0) && l.get(2) == g.get(2) && l.get(3) == g.get(3), "MergeLocalGlobal",
                    "expected local and global contexts of equal (N, _, H, W), got " + l + " and " + g);
            Shape cat = new Shape(l.get(0), l.get(1) + g.get(1), l.get(2), l.get(3));
            return visit(visitor, "features", features, cat);
        }
    }
}
