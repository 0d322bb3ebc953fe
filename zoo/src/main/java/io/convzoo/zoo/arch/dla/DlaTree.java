package io.convzoo.zoo.arch.dla;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.MaxPool2d;
import java.util.ArrayList;
import java.util.List;

/**
 * A DLA tree ({@code Tree} of {@code dla.py}), module for module. Level 1: {@code tree1} and
 * {@code tree2} are blocks and {@code root} aggregates {@code (x2, x1, children...)}; deeper levels
 * nest two trees, the second given the first's output among its children. {@code downsample} (max
 * pool, kernel = stride) and {@code project} (1×1 conv + BN where the channels change) make the first
 * block's residual; a level root also hands the pooled input to the root.
 *
 * <p>Inputs: {@code x}, then the children a parent tree passes down. As in the official forward, a
 * tree of level &gt; 1 computes its projection and then does not use it (its {@code tree1} is a tree,
 * which makes its own residual): it is kept, so that parameters, checkpoints and MACs match.
 */
final class DlaTree extends DataflowBlock {

    private static final String NAME = "DLA Tree";

    /** The tree's block from in to out channels (the residual is its optional second input). */
    @FunctionalInterface
    interface BlockFactory {
        Block block(int inChannels, int outChannels, int stride);
    }

    private final int levels;
    private final int inChannels;
    private final boolean levelRoot;
    private final Block tree1;
    private final Block tree2;
    private final Block root;
    private final Block downsample;
    private final Block project;

    DlaTree(int levels, BlockFactory block, int inChannels, int outChannels, int stride, boolean levelRoot,
            int rootDim) {
        Checks.require(levels >= 1, NAME, "levels must be >= 1, got " + levels);
        this.levels = levels;
        this.inChannels = inChannels;
        this.levelRoot = levelRoot;
        int rootChannels = (rootDim == 0 ? 2 * outChannels : rootDim) + (levelRoot ? inChannels : 0);
        if (levels == 1) {
            tree1 = addChildBlock("tree1", block.block(inChannels, outChannels, stride));
            tree2 = addChildBlock("tree2", block.block(outChannels, outChannels, 1));
            root = addChildBlock("root", new DlaRoot(rootChannels, outChannels));
        } else {
            tree1 = addChildBlock("tree1", new DlaTree(levels - 1, block, inChannels, outChannels, stride, false, 0));
            tree2 = addChildBlock("tree2", new DlaTree(levels - 1, block, outChannels, outChannels, 1, false,
                    rootChannels + outChannels));
            root = null;
        }
        downsample = stride > 1 ? addChildBlock("downsample", new MaxPool2d(stride, stride, 0)) : null;
        project = inChannels != outChannels ? addChildBlock("project", new NamedSequential()
                .add("0", Layers.conv1x1(outChannels, 1))
                .add("1", Layers.batchNorm())) : null;
    }

    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        T x = ops.share(inputs.get(0));
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        List<T> children = new ArrayList<>(inputs.subList(1, inputs.size()));
        T bottom = downsample != null ? ops.share(ops.child(downsample, x)) : x;
        T residual = project != null ? ops.child(project, bottom) : bottom;
        if (levelRoot) {
            children.add(bottom);
        }
        if (levels == 1) {
            T x1 = ops.share(ops.child(tree1, List.of(x, residual)).get(0));
            T x2 = ops.child(tree2, x1);
            List<T> rootInputs = new ArrayList<>(List.of(x2, x1));
            rootInputs.addAll(children);
            return ops.child(root, rootInputs);
        }
        T x1 = ops.share(ops.child(tree1, x));
        List<T> next = new ArrayList<>(List.of(x1));
        next.addAll(children);
        next.add(x1);
        return ops.child(tree2, next);
    }

    @Override
    public String toString() {
        return NAME + "(levels=" + levels + ", in=" + inChannels + (levelRoot ? ", level root" : "") + ")";
    }
}
