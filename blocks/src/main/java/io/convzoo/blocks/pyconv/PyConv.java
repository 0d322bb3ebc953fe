package io.convzoo.blocks.pyconv;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Pyramidal convolution (Duta et al., "Pyramidal Convolution: Rethinking Convolutional Neural
 * Networks for Visual Recognition", 2020): n parallel convolutions ("levels") over the same input,
 * each with its own kernel size, group count and number of output channels, all with the same
 * stride, dilation d and "same" padding {@code d · (k / 2)}, so their outputs line up and are
 * concatenated along the channels in level order (dilation: the segmentation backbones of
 * iduta/pyconvsegnet, which set it with exactly that padding).
 *
 * <p>The levels are children {@code conv2_1 .. conv2_n}, the names of the official PyConv2/3/4
 * modules, so parameter paths match the official {@code state_dict} (e.g.
 * {@code layer1.0.conv2.conv2_3.weight}). The official code uses a plain conv for a single level;
 * {@link Builder#buildLayer()} does the same.
 *
 * <pre>{@code
 * PyConv pyconv = PyConv.builder()
 *         .addLevel(16, 3, 1).addLevel(16, 5, 4).addLevel(32, 7, 8)
 *         .optStride(2)
 *         .build();
 * }</pre>
 */
public class PyConv extends DataflowBlock {

    static final String NAME = "PyConv";

    /** One pyramid level: output channels, square kernel size and groups. */
    public record Level(int outChannels, int kernel, int groups) {

        /** "Same" padding of the level, {@code kernel / 2}, as in the official code. */
        public int padding() {
            return kernel / 2;
        }
    }

    private final List<Level> levels;
    private final int stride;
    private final int dilation;
    private final List<Conv2d> convs = new ArrayList<>();

    protected PyConv(Builder builder) {
        this.levels = Collections.unmodifiableList(new ArrayList<>(builder.levels));
        this.stride = builder.stride;
        this.dilation = builder.dilation;
        for (int i = 0; i < levels.size(); i++) {
            Level level = levels.get(i);
            Conv2d conv = Layers.conv(level.outChannels(), level.kernel(), stride, level.padding() * dilation,
                    dilation, level.groups(), false);
            convs.add(addChildBlock(childName(i), conv));
        }
    }

    /** Official child name of level {@code index} (0-based): {@code conv2_1}, {@code conv2_2}, ... */
    public static String childName(int index) {
        return "conv2_" + (index + 1);
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The official split of {@code planes} output channels over the levels (iduta/pyconv
     * {@code get_pyconv}): 4 levels planes/4 each; 3 levels planes/4, planes/4, planes/2;
     * 2 levels planes/2 each; 1 level all of them.
     */
    public static Builder official(int planes, int[] kernels, int[] groups, int stride) {
        Checks.require(kernels.length == groups.length, NAME,
                "kernels and groups must have the same length, got " + kernels.length + " and " + groups.length);
        int[] outs = switch (kernels.length) {
            case 1 -> new int[] {planes};
            case 2 -> new int[] {planes / 2, planes / 2};
            case 3 -> new int[] {planes / 4, planes / 4, planes / 2};
            case 4 -> new int[] {planes / 4, planes / 4, planes / 4, planes / 4};
            default -> throw new IllegalArgumentException(
                    NAME + ": the official split is defined for 1 to 4 levels, got " + kernels.length);
        };
        Builder b = builder().optStride(stride);
        for (int i = 0; i < kernels.length; i++) {
            b.addLevel(outs[i], kernels[i], groups[i]);
        }
        return b;
    }

    /** The levels in concatenation order. */
    public List<Level> getLevels() {
        return levels;
    }

    /** Kernel size of every level. */
    public int[] getKernels() {
        return levels.stream().mapToInt(Level::kernel).toArray();
    }

    /** Groups of every level. */
    public int[] getGroups() {
        return levels.stream().mapToInt(Level::groups).toArray();
    }

    /** Output channels of every level. */
    public int[] getOutChannels() {
        return levels.stream().mapToInt(Level::outChannels).toArray();
    }

    /** Channels of the concatenated output. */
    public int getTotalOutChannels() {
        return levels.stream().mapToInt(Level::outChannels).sum();
    }

    /** The stride shared by all levels. */
    public int getStride() {
        return stride;
    }

    /** The dilation shared by all levels (1 unless a dilated segmentation backbone). */
    public int getDilation() {
        return dilation;
    }

    /** The conv of level {@code index} (0-based). */
    public Conv2d getLevelConv(int index) {
        return convs.get(index);
    }

    /** The levels read the same input; their outputs line up (odd kernels, k/2 padding) and are concatenated. */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, this::validate);
        ops.share(x);
        List<T> outs = new ArrayList<>(convs.size());
        for (Conv2d conv : convs) {
            outs.add(ops.child(conv, x));
        }
        return ops.cat(outs, 1);
    }

    /** Rank, channel count (once known) and channels divisible by each level's groups. */
    private void validate(Shape in) {
        long expectedChannels = inputShapes != null && inputShapes.length == 1 && inputShapes[0].dimension() == 4
                ? inputShapes[0].get(1) : -1;
        Checks.requireNchw(NAME, in, expectedChannels);
        long c = in.get(1);
        for (int i = 0; i < levels.size(); i++) {
            Level level = levels.get(i);
            if (c % level.groups() != 0) {
                throw new IllegalArgumentException(NAME + ": expected an input of shape (N, C, H, W) with C divisible by "
                        + level.groups() + " (groups of level " + (i + 1) + ", kernel " + level.kernel() + "), got "
                        + in + " with " + c + " channels");
            }
            long minSize = Math.min(in.get(2), in.get(3));
            if (minSize + 2L * level.padding() * dilation < span(level)) {
                throw new IllegalArgumentException(NAME + ": expected an input of shape (N, C, H, W) with H, W >= "
                        + (span(level) - 2 * level.padding() * dilation) + " for level " + (i + 1) + " (kernel "
                        + level.kernel() + "), got " + in);
            }
        }
    }

    /** Input pixels one output of {@code level} spans along an axis: the dilated kernel. */
    private int span(Level level) {
        return dilation * (level.kernel() - 1) + 1;
    }

    /** MACs of the whole pyramid for an input of {@code in} (sum of the levels' conv MACs). */
    public long macs(Shape in) {
        long total = 0;
        for (Level level : levels) {
            long oh = ConvMath.outputSize(in.get(2), level.kernel(), stride, level.padding() * dilation, dilation);
            long ow = ConvMath.outputSize(in.get(3), level.kernel(), stride, level.padding() * dilation, dilation);
            total += in.get(0) * ConvMath.convMacs(in.get(1), level.outChannels(), level.kernel(), level.kernel(),
                    level.groups(), oh, ow);
        }
        return total;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(NAME).append("(stride=").append(stride);
        if (dilation != 1) {
            sb.append(", dilation=").append(dilation);
        }
        for (Level level : levels) {
            sb.append(", ").append(level.kernel()).append('x').append(level.kernel())
                    .append("/g").append(level.groups()).append("->").append(level.outChannels());
        }
        return sb.append(')').toString();
    }

    /** Builder of a {@link PyConv}: levels in order, then the shared stride. */
    public static final class Builder {

        private final List<Level> levels = new ArrayList<>();
        private int stride = 1;
        private int dilation = 1;

        private Builder() {}

        /** Adds a level with {@code outChannels} outputs, a {@code kernel}×{@code kernel} kernel and {@code groups}. */
        public Builder addLevel(int outChannels, int kernel, int groups) {
            Checks.require(outChannels >= 1, NAME, "level " + (levels.size() + 1) + ": outChannels must be >= 1, got "
                    + outChannels);
            Checks.require(kernel >= 1 && kernel % 2 == 1, NAME, "level " + (levels.size() + 1)
                    + ": kernel must be odd so that padding k/2 keeps the levels aligned, got " + kernel);
            Checks.require(groups >= 1, NAME, "level " + (levels.size() + 1) + ": groups must be >= 1, got " + groups);
            Checks.requireDivisible(NAME, "level " + (levels.size() + 1) + " outChannels", outChannels, "groups", groups);
            levels.add(new Level(outChannels, kernel, groups));
            return this;
        }

        /** Stride shared by every level (default 1). */
        public Builder optStride(int stride) {
            Checks.require(stride >= 1, NAME, "stride must be >= 1, got " + stride);
            this.stride = stride;
            return this;
        }

        /** Dilation shared by every level (default 1); the padding grows with it to {@code d · (k / 2)}. */
        public Builder optDilation(int dilation) {
            Checks.require(dilation >= 1, NAME, "dilation must be >= 1, got " + dilation);
            this.dilation = dilation;
            return this;
        }

        /** Builds the pyramid; at least one level. */
        public PyConv build() {
            Checks.require(!levels.isEmpty(), NAME, "at least one level is needed");
            return new PyConv(this);
        }

        /**
         * Builds what the official {@code get_pyconv} builds: a plain conv (padding k/2, no bias) for a
         * single level, so its weight sits directly at {@code conv2.weight}; a {@link PyConv} otherwise.
         */
        public Block buildLayer() {
            Checks.require(!levels.isEmpty(), NAME, "at least one level is needed");
            if (levels.size() == 1) {
                Level l = levels.get(0);
                return Layers.conv(l.outChannels(), l.kernel(), stride, l.padding() * dilation, dilation, l.groups(),
                        false);
            }
            return new PyConv(this);
        }
    }
}
