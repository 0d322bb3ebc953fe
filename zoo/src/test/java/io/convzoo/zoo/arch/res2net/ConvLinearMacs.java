package io.convzoo.zoo.arch.res2net;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.TracedBlock;

/**
 * Counts conv + linear multiply-accumulates of one forward by walking the traced shape dataflow,
 * with the same rule as the official forward-hook script (tools/res2net_official_counts.py):
 * conv: output elements × (C_in / groups) × kh × kw; linear: output elements × in features.
 */
final class ConvLinearMacs {

    private ConvLinearMacs() {}

    static long of(Block block, Shape input) {
        long[] total = {0};
        walk(block, new Shape[] {input}, total);
        return total[0];
    }

    private static void walk(Block block, Shape[] in, long[] total) {
        if (block instanceof Conv2d conv) {
            Shape out = conv.getOutputShapes(in)[0];
            Shape k = conv.getKernelShape();
            total[0] += out.size() * (in[0].get(1) / conv.getGroups()) * k.get(0) * k.get(1);
        } else if (block instanceof Linear linear) {
            Shape out = linear.getOutputShapes(in)[0];
            total[0] += out.size() * in[0].get(in[0].dimension() - 1);
        } else if (block instanceof TracedBlock traced) {
            traced.traceChildren(in, (name, child, shapes) -> walk(child, shapes, total));
        } else if (!block.getChildren().isEmpty()) {
            throw new AssertionError("composite block outside the traced dataflow: " + block);
        }
    }
}
