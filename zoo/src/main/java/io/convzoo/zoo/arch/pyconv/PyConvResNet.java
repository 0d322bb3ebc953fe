package io.convzoo.zoo.arch.pyconv;

import io.convzoo.blocks.Checks;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import java.util.Arrays;

/**
 * PyConvResNet and PyConvHGResNet (Duta et al. 2020, iduta/pyconv {@code models/pyconvresnet.py},
 * {@code models/pyconvhgresnet.py}), layer for layer with the official parameter names.
 *
 * <p>Structure: stem conv1 7×7/2 + bn1 + relu with <b>no</b> max pool; four stages
 * {@code layer1..layer4}, <b>each</b> strided by 2 in the first block's PyConv (so layer1 takes
 * 112 → 56); the pyramid shrinks stage by stage (4 levels with kernels 3/5/7/9, then 3, 2, 1
 * levels); the first block's shortcut is max pool 3×3/2 → 1×1 conv → BN; then global average pool
 * and fc.
 *
 * <ul>
 *   <li>PyConvResNet-50/101/152: bottleneck, expansion 4, widths 64/128/256/512, groups
 *       [1,4,8,16], [1,4,8], [1,4], [1].</li>
 *   <li>PyConvResNet-18/34: the official {@code PyConvBasicBlock2} (PyConv then 1×1).</li>
 *   <li>PyConvHGResNet-50/101/152: bottleneck, expansion 2, widths 128/256/512/1024, groups
 *       [32,32,32,32], [32,64,64], [32,64], [32].</li>
 *   <li>{@code pyconvresnet_small}: basic blocks [2,2,2,2], widths 32/64/128/256, 3×3/1 stem, layer1 not
 *       strided (28 → 28 → 14 → 7 → 4); layer1 groups [1,4,8,8] because its 8-channel levels cannot
 *       hold 16 groups.</li>
 * </ul>
 *
 * <p>The returned network checks that its input has {@link ModelArgs#inputChannels()} channels.
 */
public final class PyConvResNet {

    private static final String NAME = "PyConvResNet";

    /** Official kernel schedule of the four stages. */
    static final int[][] KERNELS = {{3, 5, 7, 9}, {3, 5, 7}, {3, 5}, {3}};
    /** Official PyConvResNet groups. */
    static final int[][] GROUPS = {{1, 4, 8, 16}, {1, 4, 8}, {1, 4}, {1}};
    /** Official PyConvHGResNet groups. */
    static final int[][] HG_GROUPS = {{32, 32, 32, 32}, {32, 64, 64}, {32, 64}, {32}};
    /** Small variant: layer1's 8-channel levels hold at most 8 groups. */
    static final int[][] SMALL_GROUPS = {{1, 4, 8, 8}, {1, 4, 8}, {1, 4}, {1}};

    private PyConvResNet() {}

    /** A new builder (defaults: PyConvResNet-50). */
    public static Builder builder() {
        return new Builder();
    }

    /** PyConvResNet-18 (basic blocks [2, 2, 2, 2]). */
    public static ResNet pyconvresnet18(ModelArgs args) {
        return builder().basic(2, 2, 2, 2).build("pyconvresnet18", args);
    }

    /** PyConvResNet-34 (basic blocks [3, 4, 6, 3]). */
    public static ResNet pyconvresnet34(ModelArgs args) {
        return builder().basic(3, 4, 6, 3).build("pyconvresnet34", args);
    }

    /** PyConvResNet-50. */
    public static ResNet pyconvresnet50(ModelArgs args) {
        return builder().bottleneck(3, 4, 6, 3).build("pyconvresnet50", args);
    }

    /** PyConvResNet-101. */
    public static ResNet pyconvresnet101(ModelArgs args) {
        return builder().bottleneck(3, 4, 23, 3).build("pyconvresnet101", args);
    }

    /** PyConvResNet-152. */
    public static ResNet pyconvresnet152(ModelArgs args) {
        return builder().bottleneck(3, 8, 36, 3).build("pyconvresnet152", args);
    }

    /** PyConvHGResNet-50. */
    public static ResNet pyconvhgresnet50(ModelArgs args) {
        return builder().highGroups().bottleneck(3, 4, 6, 3).build("pyconvhgresnet50", args);
    }

    /** PyConvHGResNet-101. */
    public static ResNet pyconvhgresnet101(ModelArgs args) {
        return builder().highGroups().bottleneck(3, 4, 23, 3).build("pyconvhgresnet101", args);
    }

    /** PyConvHGResNet-152. */
    public static ResNet pyconvhgresnet152(ModelArgs args) {
        return builder().highGroups().bottleneck(3, 8, 36, 3).build("pyconvhgresnet152", args);
    }

    /** Small-image variant for 28×28 inputs (Fashion-MNIST). */
    public static ResNet pyconvresnetSmall(ModelArgs args) {
        return builder().basic(2, 2, 2, 2).widths(32, 64, 128, 256).groups(SMALL_GROUPS)
                .smallStem().layer1Stride(1).build("pyconvresnet_small", args);
    }

    /** Configures and builds a PyConvResNet; the named factories above use it. */
    public static final class Builder {

        private PyConvResidual.Kind kind = PyConvResidual.Kind.BOTTLENECK;
        private int[] layers = {3, 4, 6, 3};
        private int[] widths = {64, 128, 256, 512};
        private int expansion = 4;
        private int stemWidth = 64;
        private int[][] kernels = KERNELS;
        private int[][] groups = GROUPS;
        private boolean smallStem;
        private int layer1Stride = 2;
        private int[] dilations = {1, 1, 1, 1};

        private Builder() {}

        /** Official {@code PyConvBlock} bottlenecks with these stage depths (expansion 4 unless HG). */
        public Builder bottleneck(int... stageDepths) {
            kind = PyConvResidual.Kind.BOTTLENECK;
            layers = stages(stageDepths);
            return this;
        }

        /** Official {@code PyConvBasicBlock2} blocks with these stage depths (expansion 1). */
        public Builder basic(int... stageDepths) {
            kind = PyConvResidual.Kind.BASIC;
            expansion = 1;
            layers = stages(stageDepths);
            return this;
        }

        /** PyConvHGResNet: doubled widths, expansion 2, high group counts. */
        public Builder highGroups() {
            widths = new int[] {128, 256, 512, 1024};
            expansion = 2;
            groups = HG_GROUPS;
            return this;
        }

        /** Stage widths (planes). */
        public Builder widths(int... stageWidths) {
            widths = stages(stageWidths);
            stemWidth = stageWidths[0];
            return this;
        }

        /** Pyramid groups per stage. */
        public Builder groups(int[][] stageGroups) {
            Checks.require(stageGroups.length == 4, NAME, "groups for 4 stages needed, got " + stageGroups.length);
            groups = stageGroups;
            return this;
        }

        /** Pyramid kernels per stage. */
        public Builder kernels(int[][] stageKernels) {
            Checks.require(stageKernels.length == 4, NAME, "kernels for 4 stages needed, got " + stageKernels.length);
            kernels = stageKernels;
            return this;
        }

        /** 3×3 stride-1 stem without pooling, for 28×28 / 32×32 inputs. */
        public Builder smallStem() {
            smallStem = true;
            return this;
        }

        /** Stride of layer1 (2 officially). */
        public Builder layer1Stride(int stride) {
            layer1Stride = stride;
            return this;
        }

        /**
         * Backbone output stride 8 (layer3 dilated 2, layer4 dilated 4), 16 (layer4 dilated 2) or 32
         * (none), as iduta/pyconvsegnet's {@code build_backbone_layers} sets it.
         */
        public Builder outputStride(int outputStride) {
            dilations = switch (outputStride) {
                case 8 -> new int[] {1, 1, 2, 4};
                case 16 -> new int[] {1, 1, 1, 2};
                case 32 -> new int[] {1, 1, 1, 1};
                default -> throw new IllegalArgumentException(NAME + ": output stride must be 8, 16 or 32, got "
                        + outputStride);
            };
            return this;
        }

        /** Channels of layer4's output. */
        public int outputChannels() {
            return widths[3] * (kind == PyConvResidual.Kind.BASIC ? 1 : expansion);
        }

        /** Builds the network {@code id} for {@code args}. */
        public ResNet build(String id, ModelArgs args) {
            int exp = kind == PyConvResidual.Kind.BASIC ? 1 : expansion;
            ResNet.Layout layout = new ResNet.Layout(smallStem ? ResNet.Stem.SMALL : ResNet.Stem.IMAGENET_NO_POOL,
                    stemWidth, layers, widths, new int[] {layer1Stride, 2, 2, 2}, exp, dilations);
            return ResNet.build(id, NAME, layout, (stage, index, in, planes, stride, dilation) -> new PyConvResidual(
                    kind, in, planes, exp, stride, dilation, kernels[stage], groups[stage], args.zeroInitLastBn()), args);
        }

        /** {@link #build(String, ModelArgs)} of a configuration without a zoo id. */
        public ResNet build(ModelArgs args) {
            return build("pyconvresnet", args);
        }

        private static int[] stages(int[] values) {
            Checks.require(values.length == 4, NAME, "4 stages needed, got " + Arrays.toString(values));
            return values.clone();
        }
    }
}
