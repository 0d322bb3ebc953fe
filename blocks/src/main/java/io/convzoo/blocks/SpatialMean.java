package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/** The mean over H and W of an (N, C, H, W) array, kept as (N, C, 1, 1), in one native op. */
public final class SpatialMean {

    private SpatialMean() {}

    /**
     * One average pool whose window is the whole map. DJL's global average pool gives (N, C), which a
     * squeeze-excite or attention branch reshapes back to (N, C, 1, 1): two more native calls each.
     */
    public static NDArray of(NDArray x) {
        Shape s = x.getShape();
        Shape window = new Shape(s.get(2), s.get(3));
        return Pool.avgPool2d(x, window, window, new Shape(0, 0), false, true);
    }
}
