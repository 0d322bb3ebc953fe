package io.convzoo.blocks;

import ai.djl.ndarray.types.Shape;

/**
 * A block whose own (direct) parameters are applied by functional ops rather than by child
 * Conv2d/Linear blocks, e.g. dynamic convolution. It reports its own MACs so the summary can count
 * them; the MACs of its children are counted by walking them as usual.
 */
public interface MacCounted {

    /** Convolution/linear MACs of this block's own parameters for one forward of these inputs. */
    long ownMacs(Shape[] inputShapes);

    /** Extra MACs spent preparing weights (e.g. dynamic conv's kernel mixing), reported apart. */
    default long auxiliaryMacs(Shape[] inputShapes) {
        return 0;
    }
}
