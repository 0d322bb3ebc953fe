package io.convzoo.zoo.arch.octconv;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import io.convzoo.blocks.TracedBlock;

/**
 * Conv + linear multiply-accumulates of one forward, counted like the forward hooks of
 * tools/octresnet_reference.py: each Conv2d adds output elements × (C_in / groups) × kh × kw, each
 * Linear output elements × in-features. Walks TracedBlocks with their traced child input shapes;
 * weights must be initialized (their shapes give groups and kernel).
 */
final class MacCount {

    private MacCount() {}

    static long of(Block block, Shape... inputShapes) {
        if (block instanceof Conv2d) {
            Shape w = block.getParameters().get("weight").getArray().getShape();
            Shape out = block.getOutputShapes(inputShapes)[0];
            return out.size() * w.get(1) * w.get(2) * w.get(3);
        }
        if (block instanceof Linear) {
            Shape w = block.getParameters().get("weight").getArray().getShape();
            return block.getOutputShapes(inputShapes)[0].size() * w.get(1);
        }
        if (block instanceof TracedBlock traced) {
            long[] total = {0};
            traced.traceChildren(inputShapes, (name, child, shapes) -> total[0] += of(child, shapes));
            return total[0];
        }
        return 0;
    }
}
