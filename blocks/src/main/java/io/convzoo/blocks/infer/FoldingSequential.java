package io.convzoo.blocks.infer;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.blocks.pyconv.PyConv;
import java.util.List;

/**
 * A {@link NamedSequential} (same children, names and parameters) that runs each conv directly
 * followed by a BatchNorm as one {@link ConvBn} pair, so that the inference preparation can fold
 * them (stems: conv1, bn1; shortcuts: downsample 0, 1). Without folding it computes exactly what
 * NamedSequential computes.
 */
public class FoldingSequential extends NamedSequential {

    @Override
    public FoldingSequential add(String name, Block block) {
        super.add(name, block);
        return this;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        List<Block> blocks = children.values();
        NDList current = inputs;
        for (int i = 0; i < blocks.size(); i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && (child instanceof Conv2d || child instanceof PyConv || child instanceof DynamicConv2d)
                    && current.size() == 1) {
                current = ForwardArrays.next(training, current, inputs,
                        in -> new NDList(ConvBn.forward(child, next, ps, in.head(), training, params)));
                i++;
            } else {
                current = ForwardArrays.next(training, current, inputs, in -> child.forward(ps, in, training, params));
            }
        }
        return current;
    }

}
