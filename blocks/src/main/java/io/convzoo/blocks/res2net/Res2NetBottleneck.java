package io.convzoo.blocks.res2net;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.AvgPool;
import io.convzoo.blocks.layers.ModuleList;
import io.convzoo.blocks.layers.Residual;
import io.convzoo.blocks.layers.SqueezeExcite;
import java.util.ArrayList;
import java.util.List;

/**
 * The Res2Net bottleneck ({@code Bottle2neck} of Res2Net-PretrainedModels; Res2NeXt's
 * {@code Bottle2neckX} when cardinality &gt; 1).
 *
 * <p>A 1×1 conv expands the input to {@code width · scale} channels, which are split into
 * {@code scale} groups of {@code width} channels. Group i &lt; scale-1 goes through its own 3×3
 * conv (grouped by the cardinality), BN and ReLU; in a <em>normal</em> block the previous group's
 * output is added to it first (the hierarchical residual), in a <em>stage</em> block (the first of
 * a layer) it is not. The last group is passed through untouched in a normal block and through a
 * 3×3 average pool (padding 1, the block's stride, zeros counted) in a stage block, even at
 * stride 1. The groups are concatenated, a 1×1 conv + BN projects to {@code planes · 4}, optional
 * squeeze-and-excitation (timm's placement: after bn3) rescales, and the shortcut is added.
 *
 * <p>{@code width = floor(planes · baseWidth / 64) · cardinality}. The 3×3 convs carry the stride.
 * A downsample shortcut exists when the stride is not 1 or the channel count changes: v1 uses a
 * strided 1×1 conv + BN ({@code downsample.0/.1}); v1b an average pool (kernel = stride, ceil
 * mode, padding not counted) then a 1×1 conv + BN ({@code downsample.0} pool, {@code .1}, {@code .2}).
 *
 * <p>Children carry the official module names: conv1, bn1, convs.i, bns.i, pool (stage only),
 * conv3, bn3, se (when enabled), downsample.
 *
 * <p>timm's {@code Bottle2neck} has the same keys and arithmetic; it differs in that a block is a
 * stage block when {@code stride > 1 or downsample is not None} (the same blocks in every official
 * model), it supports dilation, it can add attention after bn3 ({@code se}, used here), and its
 * v1b-style models (res2net50d/101d) use a 2×2 pool in the downsample and {@code nn.Identity} at
 * stride 1, where the official code has a kernel = stride pool (1×1 at stride 1: the same result).
 * <p>The DLA trees' {@code Bottle2neck} / {@code Bottle2neckX} ({@code dla.py}, {@link Builder#dla}) have
 * the same branch with a given width, {@code planes} outputs and the residual handed in by the tree.
 * Note: DJL's PyTorch JNI ignores avg-pool count_include_pad; {@link AvgPool} compensates.
 */
public final class Res2NetBottleneck extends Residual {

    /** Output channels per plane. */
    public static final int EXPANSION = 4;

    private static final String NAME = "Res2NetBottleneck";

    /** Shortcut flavour of a downsampling block. */
    public enum Shortcut {
        /** Strided 1×1 conv + BN (Res2Net, Res2NeXt). */
        V1,
        /** Average pool (kernel = stride, ceil mode, padding not counted), then 1×1 conv + BN (Res2Net-v1b). */
        V1B
    }

    private final int inChannels;
    private final int outChannels;
    private final int width;
    private final int scale;
    private final int stride;
    private final boolean stage;

    private final Block conv1;
    private final Block bn1;
    private final ModuleList convs;
    private final ModuleList bns;
    private final Block pool;
    private final Block conv3;
    private final Block bn3;
    private final Block se;
    private final Block downsample;

    private Res2NetBottleneck(Builder b) {
        super(NAME, b.inChannels);
        Checks.require(b.inChannels >= 1 && b.planes >= 1, NAME,
                "inChannels and planes must be >= 1, got " + b.inChannels + " and " + b.planes);
        Checks.require(b.scale >= 1, NAME, "scale must be >= 1, got " + b.scale);
        Checks.require(b.cardinality >= 1, NAME, "cardinality must be >= 1, got " + b.cardinality);
        Checks.require(b.stride >= 1, NAME, "stride must be >= 1, got " + b.stride);
        inChannels = b.inChannels;
        if (b.dla) {
            // dla.py's Bottle2neck / Bottle2neckX: the width is given, conv3 outputs planes channels.
            Checks.require(b.width >= 1, NAME, "a DLA block needs a width >= 1, got " + b.width);
            Checks.requireDivisible(NAME, "width", b.width, "cardinality", b.cardinality);
            width = b.width;
            outChannels = b.planes;
            setShortcutGiven();
        } else {
            int perGroup = b.planes * b.baseWidth / 64;
            Checks.require(perGroup >= 1, NAME, "floor(planes * baseWidth / 64) must be >= 1, got planes="
                    + b.planes + " baseWidth=" + b.baseWidth);
            width = perGroup * b.cardinality;
            outChannels = b.planes * EXPANSION;
        }
        scale = b.scale;
        stride = b.stride;
        boolean needsDownsample = !b.dla && (b.stride != 1 || b.inChannels != outChannels);
        stage = b.stage != null ? b.stage : needsDownsample || (b.dla && b.stride != 1);
        // A normal block adds the previous (strided) group to an unstrided split: shapes would not match.
        Checks.require(stage || stride == 1, NAME, "a normal (non-stage) block must have stride 1, got " + stride);

        conv1 = addChildBlock("conv1", Layers.conv1x1(width * scale, 1));
        bn1 = addChildBlock("bn1", Layers.batchNorm());
        int nums = scale == 1 ? 1 : scale - 1;
        List<Block> convList = new ArrayList<>();
        List<Block> bnList = new ArrayList<>();
        for (int i = 0; i < nums; i++) {
            convList.add(Layers.conv3x3(width, stride, b.cardinality));
            bnList.add(Layers.batchNorm());
        }
        convs = addChildBlock("convs", new ModuleList(convList));
        bns = addChildBlock("bns", new ModuleList(bnList));
        // The official code also creates a pool for a stage block with scale 1, where it is unused
        // and has no parameters; it is left out here.
        pool = stage && scale > 1 ? addChildBlock("pool", new AvgPool(3, stride, 1, false, true)) : null;
        conv3 = addChildBlock("conv3", Layers.conv1x1(outChannels, 1));
        bn3 = addChildBlock("bn3", b.zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm());
        se = b.squeezeExcite ? addChildBlock("se", new SqueezeExcite(outChannels)) : null;
        if (needsDownsample) {
            NamedSequential ds = new NamedSequential();
            if (b.shortcut == Shortcut.V1) {
                ds.add("0", Layers.conv1x1(outChannels, stride)).add("1", Layers.batchNorm());
            } else {
                ds.add("0", new AvgPool(stride, stride, 0, true, false))
                        .add("1", Layers.conv1x1(outChannels, 1))
                        .add("2", Layers.batchNorm());
            }
            downsample = addChildBlock("downsample", ds);
            setShortcut(downsample);
        } else {
            downsample = null;
        }
    }

    /** A builder; required: inChannels and planes. */
    public static Builder builder() {
        return new Builder();
    }

    /** Input channels this block expects. */
    public int getInChannels() {
        return inChannels;
    }

    /** Output channels: planes · 4. */
    public int getOutChannels() {
        return outChannels;
    }

    /** Channels of one scale group: floor(planes · baseWidth / 64) · cardinality. */
    public int getWidth() {
        return width;
    }

    /** Whether this is a stage block (no hierarchical add, pooled last group). */
    public boolean isStage() {
        return stage;
    }

    /** Whether the shortcut has a downsample branch. */
    public boolean hasDownsample() {
        return downsample != null;
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T out = ops.relu(ops.convBn(conv1, bn1, inputs.get(0)));
        // One split and one concat, whatever the scale.
        List<T> splits = ops.split(out, width, scale, 1);
        List<T> groups = new ArrayList<>(scale);
        T sp = null;
        for (int i = 0; i < convs.size(); i++) {
            // In a normal block the previous group's output is added into split i (which nothing else reads);
            // sp itself stays for the concat.
            T in = i > 0 && !stage ? ops.add(splits.get(i), sp) : splits.get(i);
            sp = ops.relu(ops.convBn(convs.get(i), bns.get(i), in));
            if (i + 1 < convs.size() && !stage) {
                ops.share(sp);
            }
            groups.add(sp);
        }
        if (scale > 1) {
            T last = splits.get(scale - 1);
            groups.add(stage ? ops.child(pool, last) : last);
        }
        T y = ops.convBn(conv3, bn3, ops.cat(groups, 1));
        return List.of(se != null ? ops.child(se, y) : y);
    }

    @Override
    public String toString() {
        return NAME + "(in=" + inChannels + ", out=" + outChannels + ", width=" + width + ", scale="
                + scale + ", stride=" + stride + (stage ? ", stage" : ", normal")
                + (se != null ? ", se" : "") + ")";
    }

    /** Configures a {@link Res2NetBottleneck}; defaults follow Res2Net-50 26w×4s. */
    public static final class Builder {
        private int inChannels;
        private int planes;
        private int stride = 1;
        private int baseWidth = 26;
        private int scale = 4;
        private int cardinality = 1;
        private Boolean stage;
        private Shortcut shortcut = Shortcut.V1;
        private boolean squeezeExcite;
        private boolean zeroInitLastBn;
        private boolean dla;
        private int width;

        private Builder() {}

        /**
         * The block of a DLA tree ({@code dla.py}): {@code width} channels per scale group (the 3×3 convs
         * grouped by the cardinality), {@code planes} output channels, no downsample; the residual is the
         * optional second input, which the tree computes. By default a stage block exactly when strided, as there.
         */
        public Builder dla(int width) {
            this.dla = true;
            this.width = width;
            return this;
        }

        /** Input channels (required). */
        public Builder inChannels(int value) {
            inChannels = value;
            return this;
        }

        /** Planes (required); the block outputs planes · 4 channels (a DLA block: planes). */
        public Builder planes(int value) {
            planes = value;
            return this;
        }

        /** Stride of the 3×3 convs, the stage pool and the downsample (default 1). */
        public Builder stride(int value) {
            stride = value;
            return this;
        }

        /** Base width: each group has floor(planes · baseWidth / 64) · cardinality channels (default 26). */
        public Builder baseWidth(int value) {
            baseWidth = value;
            return this;
        }

        /** Number of scale groups s (default 4). */
        public Builder scale(int value) {
            scale = value;
            return this;
        }

        /** Groups of each 3×3 conv (Res2NeXt; default 1). */
        public Builder cardinality(int value) {
            cardinality = value;
            return this;
        }

        /**
         * Stage (first block of a layer) or normal block. By default a block is a stage block
         * exactly when it downsamples, as in every official model.
         */
        public Builder stage(boolean value) {
            stage = value;
            return this;
        }

        /** Shortcut flavour used when the block downsamples (default v1). */
        public Builder shortcut(Shortcut value) {
            shortcut = value;
            return this;
        }

        /** Adds timm-style squeeze-and-excitation after bn3 (default off). */
        public Builder squeezeExcite(boolean value) {
            squeezeExcite = value;
            return this;
        }

        /** Starts bn3's gamma at zero so the block begins as its shortcut (default off). */
        public Builder zeroInitLastBn(boolean value) {
            zeroInitLastBn = value;
            return this;
        }

        /** Builds the block; an inconsistent configuration throws IllegalArgumentException. */
        public Res2NetBottleneck build() {
            Checks.require(shortcut != null, NAME, "shortcut must not be null");
            return new Res2NetBottleneck(this);
        }
    }
}
