package io.convzoo.blocks.layers;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A holder of blocks named "0", "1", … like PyTorch's {@code nn.ModuleList}: the owner applies the
 * members one at a time in its own dataflow (Res2Net's per-scale 3×3 convs and their BatchNorms), so
 * this block has no forward and no shapes of its own; the owner's shape walk reports each member
 * (as {@code convs.0}, …) and initializes it for the shape it sees.
 */
public final class ModuleList extends AbstractBlock {

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
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException("ModuleList has no forward: its owner applies each member");
    }

    /** Written as before this class lost its own shape walk: the (shared) input shapes of its members. */
    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        inputShapes = members.length == 0 ? new Shape[0] : members[0].getInputShapes();
        super.saveMetadata(os);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        throw new UnsupportedOperationException("ModuleList members are initialized by their owner's dataflow");
    }
}
