package io.convzoo.zoo.arch.dyconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.layers.Residual;
import java.util.ArrayList;
import java.util.List;

/**
 * A residual block of the official {@code dy_resnet}: torchvision's BasicBlock / Bottleneck with
 * every 3×3 and 1×1 conv (downsample included) replaced by a {@link DynamicConv2d} (no bias,
 * K kernels). Children are named as the official modules: {@code conv1, bn1, conv2, bn2[, conv3,
 * bn3][, downsample.0, downsample.1]}. Each conv is followed by its BN and a ReLU, except the last,
 * whose output is added to the identity (or the downsampled input) before the final ReLU.
 */
public final class DyResidualBlock extends Residual {

    private final String name;
    private final int inChannels;
    private final int outChannels;
    private final List<Block> convs = new ArrayList<>();
    private final List<Block> norms = new ArrayList<>();

    private DyResidualBlock(String name, int inChannels, int[] widths, int[] kernelSizes, int strideAt, int stride,
                            int groups, int kernels, boolean zeroInitLastBn) {
        super(name, inChannels);
        this.name = name;
        this.inChannels = inChannels;
        int in = inChannels;
        for (int i = 0; i < widths.length; i++) {
            int k = kernelSizes[i];
            // The strided conv is the 3×3 one, the only one grouped (torchvision's ResNeXt).
            DynamicConv2d conv = dynamicConv(in, widths[i], k, i == strideAt ? stride : 1, i == strideAt ? groups : 1,
                    kernels);
            boolean last = i == widths.length - 1;
            Block bn = last && zeroInitLastBn ? Layers.zeroGammaBatchNorm() : Layers.batchNorm();
            convs.add(addChildBlock("conv" + (i + 1), conv));
            norms.add(addChildBlock("bn" + (i + 1), bn));
            in = widths[i];
        }
        int out = widths[widths.length - 1];
        outChannels = out;
        if (stride != 1 || inChannels != out) {
            setShortcut(addChildBlock("downsample", new NamedSequential()
                    .add("0", dynamicConv(inChannels, out, 1, stride, 1, kernels))
                    .add("1", Layers.batchNorm())));
        }
    }

    /** Official BasicBlock: conv1 3×3 (stride), conv2 3×3; expansion 1. */
    public static DyResidualBlock basic(int inChannels, int planes, int stride, int kernels, boolean zeroInitLastBn) {
        return new DyResidualBlock("DyBasicBlock", inChannels, new int[] {planes, planes}, new int[] {3, 3},
                0, stride, 1, kernels, zeroInitLastBn);
    }

    /** Official Bottleneck (stride on the 3×3, as torchvision): conv1 1×1, conv2 3×3, conv3 1×1 to 4·planes. */
    public static DyResidualBlock bottleneck(int inChannels, int planes, int stride, int kernels, boolean zeroInitLastBn) {
        return bottleneck(inChannels, planes, stride, 1, 64, kernels, zeroInitLastBn);
    }

    /**
     * Official Bottleneck with {@code groups} and {@code baseWidth} (the official ResNet's
     * {@code groups} and {@code width_per_group}: ResNeXt 32×4d, Wide ResNet 1×128): inner width
     * {@code int(planes · baseWidth / 64) · groups}, the 3×3 conv grouped; output 4·planes.
     */
    public static DyResidualBlock bottleneck(int inChannels, int planes, int stride, int groups, int baseWidth,
                                             int kernels, boolean zeroInitLastBn) {
        Checks.require(groups >= 1 && baseWidth >= 1, "DyBottleneck",
                "groups and width per group must be >= 1, got " + groups + " and " + baseWidth);
        int width = (int) (planes * (baseWidth / 64.0)) * groups;
        return new DyResidualBlock("DyBottleneck", inChannels, new int[] {width, width, planes * 4},
                new int[] {1, 3, 1}, 1, stride, groups, kernels, zeroInitLastBn);
    }

    /** The official {@code conv3x3} / {@code conv1x1} of dy_resnet: Dynamic_conv2d, bias off, padding = (k - 1) / 2. */
    static DynamicConv2d dynamicConv(int in, int out, int kernel, int stride, int groups, int kernels) {
        return DynamicConv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(kernel)
                .optStride(stride).optPadding((kernel - 1) / 2).optGroups(groups).optBias(false).optKernels(kernels)
                .build();
    }

    /** Output channels of the block. */
    public int outChannels() {
        return outChannels;
    }

    /** Each conv with its BN; a ReLU after each but the last. */
    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T y = inputs.get(0);
        for (int i = 0; i < convs.size(); i++) {
            y = ops.convBn(convs.get(i), norms.get(i), y);
            if (i < convs.size() - 1) {
                y = ops.relu(y);
            }
        }
        return List.of(y);
    }

}
