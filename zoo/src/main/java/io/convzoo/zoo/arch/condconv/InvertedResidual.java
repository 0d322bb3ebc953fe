package io.convzoo.zoo.arch.condconv;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.dynamic.CondConv2d;
import io.convzoo.blocks.layers.Residual;
import io.convzoo.blocks.layers.SqueezeExcite;
import java.util.List;

/**
 * timm's {@code InvertedResidual} (MBConv) and, with experts, its {@code CondConvResidual}
 * (timm/models/_efficientnet_blocks.py), under their state_dict names: {@code conv_pw} (1×1 expansion) +
 * {@code bn1} + SiLU, {@code conv_dw} (k×k depthwise, the stride) + {@code bn2} + SiLU, {@code se},
 * {@code conv_pwl} (1×1 projection) + {@code bn3}, plus the input where the block keeps the shape. With K experts
 * the three convs are {@link CondConv2d}s and {@code routing_fn} (Linear in → K) turns the block input's
 * spatial mean into the sigmoid routing weights all three share.
 */
final class InvertedResidual extends Residual {

    private final Block convPw;
    private final Block bn1;
    private final Block convDw;
    private final Block bn2;
    private final Block se;
    private final Block convPwl;
    private final Block bn3;
    private final Block routingFn;

    /**
     * @param in input channels
     * @param def the decoded block ({@code ir_...}); experts 0 for a plain inverted residual
     * @param stride the depthwise conv's stride (the stage's first block only)
     */
    InvertedResidual(int in, EfficientNetCc.BlockDef def, int stride) {
        super("InvertedResidual(" + in + "->" + def.outChannels() + ", k=" + def.kernel() + ", K=" + def.experts()
                + ")", in);
        int mid = EfficientNetCc.roundChannels(in * def.expansion());
        int k = def.kernel();
        int experts = def.experts();
        convPw = addChildBlock("conv_pw", conv(in, mid, 1, 1, 1, experts));
        bn1 = addChildBlock("bn1", Layers.batchNorm());
        convDw = addChildBlock("conv_dw", conv(mid, mid, k, stride, mid, experts));
        bn2 = addChildBlock("bn2", Layers.batchNorm());
        se = addChildBlock("se", SqueezeExcite.efficientNet(mid, EfficientNetCc.seChannels(mid, def)));
        convPwl = addChildBlock("conv_pwl", conv(mid, def.outChannels(), 1, 1, 1, experts));
        bn3 = addChildBlock("bn3", Layers.batchNorm());
        routingFn = experts > 0 ? addChildBlock("routing_fn", Linear.builder().setUnits(experts).build()) : null;
        if (stride == 1 && in == def.outChannels()) {
            setLinearSum();
        } else {
            setNoShortcut();
        }
    }

    private static Block conv(int in, int out, int kernel, int stride, int groups, int experts) {
        int padding = EfficientNetCc.padding(kernel, stride);
        return experts > 0 ? new CondConv2d(in, out, kernel, stride, padding, 1, groups, experts, false)
                : Layers.conv(out, kernel, stride, padding, 1, groups, false);
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T x = inputs.get(0);
        T routing = routingFn == null ? null
                : ops.share(ops.sigmoid(ops.child(routingFn, ops.flatten(ops.spatialMean(x), 1))));
        T y = ops.silu(convBn(ops, convPw, bn1, x, routing));
        y = ops.silu(convBn(ops, convDw, bn2, y, routing));
        y = ops.child(se, y);
        return List.of(convBn(ops, convPwl, bn3, y, routing));
    }

    /** A conv and its BatchNorm; a CondConv2d takes the routing as its second input. */
    private static <T> T convBn(Ops<T> ops, Block conv, Block norm, T x, T routing) {
        return routing == null ? ops.convBn(conv, norm, x)
                : Ops.single(conv, ops.convBn(conv, List.of(norm), List.of(x, routing)));
    }
}
