package io.convzoo.blocks.pyconv;

import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * The PyConv segmentation head (iduta/pyconvsegnet {@code PyConvHead}): a {@link LocalPyConv} and a
 * {@link GlobalPyConv} over the same backbone features, concatenated along the channels (local
 * first) and merged by a 3×3 conv + BN + ReLU ({@code MergeLocalGlobal}).
 *
 * <p>Children: {@code local_context}, {@code global_context}, {@code merge_context} (with
 * {@code features.0..2}), the official names.
 */
public class PyConvHead extends DataflowBlock {

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
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        ops.share(x);
        T l = ops.child(local, x);
        T g = ops.child(global, x);
        return Ops.single(merge, ops.child(merge, List.of(l, g)));
    }

    /**
     * Concatenates the local and global context (local first) and applies {@code features}: 3×3 conv
     * (padding 1) + BN + ReLU, as the official {@code MergeLocalGlobal}.
     */
    public static class MergeLocalGlobal extends DataflowBlock {

        private final NamedSequential features;

        /** Merges into {@code outChannels} channels. */
        public MergeLocalGlobal(int outChannels) {
            features = addChildBlock("features", new NamedSequential()
                    .add("0", Layers.conv(outChannels, 3, 1, 1, 1, 1, false))
                    .add("1", Layers.batchNorm())
                    .add("2", Layers.relu()));
        }

        @Override
        public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
            Checks.require(inputs.size() == 2, "MergeLocalGlobal", "expected (local, global) contexts of shape "
                    + "(N, C, H, W), got " + inputs.size() + " inputs");
            T l = inputs.get(0);
            T g = inputs.get(1);
            ops.require(l, s -> Checks.requireNchw("MergeLocalGlobal", s, -1));
            ops.require(g, s -> Checks.requireNchw("MergeLocalGlobal", s, -1));
            ops.require(l, ls -> ops.require(g, gs -> Checks.require(ls.get(0) == gs.get(0) && ls.get(2) == gs.get(2)
                    && ls.get(3) == gs.get(3), "MergeLocalGlobal",
                    "expected local and global contexts of equal (N, _, H, W), got " + ls + " and " + gs)));
            return ops.child(features, List.of(ops.cat(List.of(l, g), 1)));
        }
    }
}
