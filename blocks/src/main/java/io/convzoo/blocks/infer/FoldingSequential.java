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
import java.util.function.ToIntFunction;

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

    /**
     * Runs the children, then {@code trailingBn} when not null, as one sequence: a BatchNorm that
     * follows a nested FoldingSequential ending in a conv (the v1b deep stem's {@code conv1}, then
     * {@code bn1}) pairs with that last conv.
     */
    private NDList forward(ParameterStore ps, NDList inputs, Block trailingBn, boolean training,
                           PairList<String, Object> params) {
        return walk(inputs, trailingBn, NDList::size, new Steps<>() {
            @Override
            public NDList pair(Block conv, Block bn, NDList current) {
                return ForwardArrays.next(training, current, inputs,
                        in -> new NDList(ConvBn.forward(conv, bn, ps, in.head(), training, params)));
            }

            @Override
            public NDList nested(FoldingSequential nested, Block bn, NDList current) {
                return ForwardArrays.next(training, current, inputs, in -> nested.forward(ps, in, bn, training, params));
            }

            @Override
            public NDList single(Block block, NDList current) {
                return ForwardArrays.next(training, current, inputs, in -> block.forward(ps, in, training, params));
            }
        });
    }

    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        return emitScript(w, inputs, null);
    }

    /** The script of {@link #forward}: the same steps, each pair written by {@link ScriptWriter#convBn}. */
    private List<String> emitScript(ScriptWriter w, List<String> inputs, Block trailingBn) {
        return walk(inputs, trailingBn, List::size, new Steps<>() {
            @Override
            public List<String> pair(Block conv, Block bn, List<String> current) {
                return List.of(w.convBn(conv, bn, current.get(0)));
            }

            @Override
            public List<String> nested(FoldingSequential nested, Block bn, List<String> current) {
                return nested.emitScript(w, current, bn);
            }

            @Override
            public List<String> single(Block block, List<String> current) {
                return w.emit(block, current);
            }
        });
    }

    /** What one step of the sequence does with the values so far: arrays in the forward, variables in a script. */
    private interface Steps<T> {
        /** A conv directly followed by its BatchNorm. */
        T pair(Block conv, Block bn, T current);

        /** A nested FoldingSequential ending in a conv, then the BatchNorm that pairs with that conv. */
        T nested(FoldingSequential nested, Block bn, T current);

        /** Any other child. */
        T single(Block block, T current);
    }

    /** The one place that decides the steps, so that a forward and its script always pair alike. */
    private <T> T walk(T inputs, Block trailingBn, ToIntFunction<T> arity, Steps<T> steps) {
        List<Block> blocks = children.values();
        if (trailingBn != null) {
            blocks = new ArrayList<>(blocks); // values() is the children's own list
            blocks.add(trailingBn);
        }
        T current = inputs;
        for (int i = 0; i < blocks.size(); i++) {
            Block child = blocks.get(i);
            Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
            if (next instanceof BatchNorm && isConv(child) && arity.applyAsInt(current) == 1) {
                current = steps.pair(child, next, current);
                i++;
            } else if (next instanceof BatchNorm && child instanceof FoldingSequential nested && nested.endsWithConv()) {
                current = steps.nested(nested, next, current);
                i++;
            } else {
                current = steps.single(child, current);
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
