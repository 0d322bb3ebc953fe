package io.convzoo.zoo.arch.hetconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.blocks.layers.Residual;
import java.util.List;

/**
 * torchvision's BasicBlock / Bottleneck (v1.5: stride on the 3×3) with every 3×3 conv replaced by a
 * {@link HetConv} of part P, as the HetConv paper does for ResNet-34 and ResNet-50; the 1×1 convs and
 * the {@code downsample} projection stay standard. Children: {@code conv1, bn1, conv2, bn2[, conv3,
 * bn3][, downsample.0, downsample.1]}.
 */
public final class HetResidual extends Residual {

    /** Output channels per plane: 1 for the basic block, 4 for the bottleneck. */
    public enum Kind {
        BASIC(1),
        BOTTLENECK(4);

        final int expansion;

        Kind(int expansion) {
            this.expansion = expansion;
        }
    }

    private final Block conv1;
    private final Block bn1;
    private final Block conv2;
    private final Block bn2;
    private final Block conv3;
    private final Block bn3;

    /** A block of {@code kind} from {@code inChannels} to {@code planes · expansion} channels. */
    public HetResidual(Kind kind, int inChannels, int planes, int stride, int part, boolean zeroInitLastBn) {
        super(kind == Kind.BASIC ? "HetBasicBlock" : "HetBottleneck", inChannels);
        int out = planes * kind.expansion;
        if (kind == Kind.BASIC) {
            conv1 = addChildBlock("conv1", new HetConv(inChannels, planes, part, stride, false));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv2 = addChildBlock("conv2", new HetConv(planes, planes, part, 1, false));
            bn2 = addChildBlock("bn2", lastNorm(zeroInitLastBn));
            conv3 = null;
            bn3 = null;
        } else {
            conv1 = addChildBlock("conv1", Layers.conv1x1(planes, 1));
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv2 = addChildBlock("conv2", new HetConv(planes, planes, part, stride, false));
            bn2 = addChildBlock("bn2", Layers.batchNorm());
            conv3 = addChildBlock("conv3", Layers.conv1x1(out, 1));
            bn3 = addChildBlock("bn3", lastNorm(zeroInitLastBn));
        }
        if (stride != 1 || inChannels != out) {
            setShortcut(addChildBlock("downsample", new NamedSequential()
                    .add("0", Layers.conv1x1(out, stride)).add("1", Layers.batchNorm())));
        }
    }

    private static Block lastNorm(boolean zeroInit) {
        return zeroInit ? Layers.zeroGammaBatchNorm() : Layers.batchNorm();
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T y = ops.relu(ops.convBn(conv1, bn1, inputs.get(0)));
        y = ops.convBn(conv2, bn2, y);
        if (conv3 != null) {
            y = ops.convBn(conv3, bn3, ops.relu(y));
        }
        return List.of(y);
    }
}
