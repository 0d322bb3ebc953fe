package io.convzoo.zoo.arch.condconv;

import ai.djl.nn.Block;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import io.convzoo.blocks.layers.Residual;
import io.convzoo.blocks.layers.SqueezeExcite;
import java.util.List;

/**
 * timm's EfficientNet {@code DepthwiseSeparableConv} block ({@code ds_...}, timm/models/_efficientnet_blocks.py),
 * under its state_dict names: {@code conv_dw} (k×k depthwise, the stride) + {@code bn1} + SiLU, {@code se},
 * {@code conv_pw} (1×1) + {@code bn2} without an activation, plus the input where the block keeps the shape.
 */
final class DepthwiseSeparableResidual extends Residual {

    private final Block convDw;
    private final Block bn1;
    private final Block se;
    private final Block convPw;
    private final Block bn2;

    DepthwiseSeparableResidual(int in, EfficientNetCc.BlockDef def, int stride) {
        super("DepthwiseSeparable(" + in + "->" + def.outChannels() + ", k=" + def.kernel() + ")", in);
        convDw = addChildBlock("conv_dw", Layers.conv(in, def.kernel(), stride,
                EfficientNetCc.padding(def.kernel(), stride), 1, in, false));
        bn1 = addChildBlock("bn1", Layers.batchNorm());
        se = addChildBlock("se", SqueezeExcite.efficientNet(in, EfficientNetCc.seChannels(in, def)));
        convPw = addChildBlock("conv_pw", Layers.conv(def.outChannels(), 1, 1, 0, 1, 1, false));
        bn2 = addChildBlock("bn2", Layers.batchNorm());
        if (stride == 1 && in == def.outChannels()) {
            setLinearSum();
        } else {
            setNoShortcut();
        }
    }

    @Override
    protected <T> List<T> branch(Ops<T> ops, List<T> inputs) {
        T y = ops.silu(ops.convBn(convDw, bn1, inputs.get(0)));
        return List.of(ops.convBn(convPw, bn2, ops.child(se, y)));
    }
}
