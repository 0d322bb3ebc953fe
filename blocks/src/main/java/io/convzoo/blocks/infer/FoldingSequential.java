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
import io.convzoo.blocks.script.ScriptWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link NamedSequential} (same children, names and parameters) that runs each conv directly
 * followed by a BatchNorm as one {@link ConvBn} pair, so that the inference preparation can fold
 * them (stems: conv1, bn1, also when conv1 is itself a sequence ending in a conv; shortcuts:
 * downsample 0, 1). Without folding it computes exactly what NamedSequential computes.
 */
public class FoldingSequential extends NamedSequential {

    @Override
    public FoldingSequential add(String name, Block block) {
        super.add(name, block);
        return this;
    }

    @Override
    protected NDList forwardChildren(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        return forward(ps, inputs, null, training, params);
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        return emitScript(w, inputs, null);
    }

    /** The script of {@link #forward}: the same pairs, each written by {@link ScriptWriter#convBn}. */
    private List<String> emitScript(ScriptWriter w, List<String> inputs, Block trailingBn) {
        List<Block> blocks = new ArrayList<>(children.values());
        if (trailingBn != null) {
            blocks.add(trailingBn);
        }
        List<String> current = inputs;
        for (int i = 0; i < blocks.size(); i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && isConv(child) && current.size() == 1) {
                current = List.of(w.convBn(child, next, current.get(0)));
                i++;
            } else if (next instanceof BatchNorm && child instanceof FoldingSequential nested && nested.endsWithConv()) {
                current = nested.emitScript(w, current, next);
                i++;
            } else {
                current = w.emit(child, current);
            }
        }
        return current;
    }

    /**
     * Runs the children, then {@code trailingBn} when not null, as one sequence: a BatchNorm that
     * follows a nested FoldingSequential ending in a conv (the v1b deep stem's {@code conv1}, then
     * {@code bn1}) pairs with that last conv.
     */
    private NDList forward(ParameterStore ps, NDList inputs, Block trailingBn, boolean training,
                           PairList<String, Object> params) {
        List<Block> blocks = children.values();
        if (trailingBn != null) {
            blocks = new ArrayList<>(blocks); // values() is the children's own list
            blocks.add(trailingBn);
        }
        NDList current = inputs;
        for (int i = 0; i < blocks.size(); i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && isConv(child) && current.size() == 1) {
                current = ForwardArrays.next(training, current, inputs,
                        in -> new NDList(ConvBn.forward(child, next, ps, in.head(), training, params)));
                i++;
            } else if (next instanceof BatchNorm && child instanceof FoldingSequential nested && nested.endsWithConv()) {
                current = ForwardArrays.next(training, current, inputs,
                        in -> nested.forward(ps, in, next, training, params));
                i++;
            } else {
                current = ForwardArrays.next(training, current, inputs, in -> child.forward(ps, in, training, params));
            }
        }
        return current;
    }

    private static boolean isConv(Block block) {
        return block instanceof Conv2d || block instanceof PyConv || block instanceof DynamicConv2d;
    }

    private boolean endsWithConv() {
        return !children.isEmpty() && isConv(children.valueAt(children.size() - 1));
    }

}
