package io.convzoo.blocks.res2net;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.TracedBlock;
import java.util.List;

/**
 * A holder of same-shaped blocks named "0", "1", … like PyTorch's {@code nn.ModuleList}: the
 * owner applies the members one at a time, so this block has no forward of its own. Every member
 * sees the same input shape (Res2Net's per-scale 3×3 convs and their BatchNorms), which is what
 * shape inference, initialization and the summary get.
 */
public final class ModuleList extends TracedBlock {

    private final Block[] members;

    /** Holds {@code members} under the names "0".."n-1". */
    public ModuleList(List<? extends Block> members) {
        this.members = members.toArray(new Block[0]);
        for (int i = 0; i < this.members.length; i++) {
            addChildBlock(Integer.toString(i), this.members[i]);
        }
    }

    /** The member at {@code index}. */
    public Block get(int index) {
        return members[index];
    }

    /** Number of members. */
    public int size() {
        return members.length;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        throw new UnsupportedOperationException("ModuleList has no forward: its owner applies each member");
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Shape[] out = inputShapes;
        for (int i = 0; i < members.length; i++) {
            out = visit(visitor, Integer.toString(i), members[i], inputShapes);
        }
        return out;
    }
}
