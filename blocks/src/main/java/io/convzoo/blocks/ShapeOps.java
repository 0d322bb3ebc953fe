package io.convzoo.blocks;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interpreter of shapes: a block's output shapes for given input shapes, with each child it
 * applies reported to a {@link DataflowBlock.ChildVisitor} together with its input shapes and its path
 * below the block. Shape inference, child initialization (each child for exactly the shape it will
 * see) and the model summary's walk all come from it. The blocks' input checks run here too, so shape
 * inference fails with the same message as the forward pass.
 */
public final class ShapeOps implements Ops<Shape> {

    private final DataflowBlock owner;
    private final DataflowBlock.ChildVisitor visitor;
    private Map<Block, String> paths;

    private ShapeOps(DataflowBlock owner, DataflowBlock.ChildVisitor visitor) {
        this.owner = owner;
        this.visitor = visitor;
    }

    /** {@code block}'s output shapes for {@code inputShapes}; {@code visitor} (may be null) sees each child. */
    static Shape[] run(DataflowBlock block, Shape[] inputShapes, DataflowBlock.ChildVisitor visitor) {
        return block.forward(new ShapeOps(block, visitor), List.of(inputShapes)).toArray(new Shape[0]);
    }

    // ------------------------------------------------------------------ structure

    @Override
    public List<Shape> child(Block child, List<Shape> inputs) {
        Shape[] in = inputs.toArray(new Shape[0]);
        if (visitor != null) {
            visitor.visit(pathOf(child), child, in);
        }
        return List.of(child.getOutputShapes(in));
    }

    private String pathOf(Block child) {
        if (paths == null) {
            paths = new IdentityHashMap<>();
            collect(owner, "", paths);
        }
        String path = paths.get(child);
        if (path == null) {
            throw new IllegalStateException(owner.getClass().getSimpleName() + " applies a block that is not its child: "
                    + child);
        }
        return path;
    }

    /** Children by identity, with their paths; members of containers without a forward (ModuleList) too. */
    private static void collect(Block parent, String prefix, Map<Block, String> paths) {
        PairList<String, Block> children = parent.getChildren();
        for (int i = 0; i < children.size(); i++) {
            Block child = children.valueAt(i);
            String path = prefix + ChildNames.name(children.keyAt(i), i);
            paths.putIfAbsent(child, path);
            if (!(child instanceof DataflowBlock)) {
                collect(child, path + ".", paths);
            }
        }
    }

    @Override
    public List<Shape> convBn(Block conv, List<? extends Block> norms, List<Shape> inputs) {
        return Ops.convThenNorms(this, conv, norms, inputs);
    }

    @Override
    public Shape share(Shape x) {
        return x;
    }

    @Override
    public Shape shapeOf(Shape x) {
        return x;
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public Shape relu(Shape x) {
        return x;
    }

    @Override
    public Shape sigmoid(Shape x) {
        return x;
    }

    @Override
    public Shape silu(Shape x) {
        return x;
    }

    @Override
    public Shape softmax(Shape x, int axis) {
        return x;
    }

    @Override
    public Shape add(Shape a, Shape b) {
        return broadcast("add", a, b);
    }

    @Override
    public Shape mul(Shape a, Shape b) {
        return broadcast("mul", a, b);
    }

    @Override
    public Shape scale(Shape x, float factor) {
        return x;
    }

    private Shape broadcast(String op, Shape a, Shape b) {
        int rank = Math.max(a.dimension(), b.dimension());
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.dimension() ? 1 : a.get(i - (rank - a.dimension()));
            long db = i < rank - b.dimension() ? 1 : b.get(i - (rank - b.dimension()));
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(owner.getClass().getSimpleName() + ": " + op + " of shapes " + a
                        + " and " + b + ", which do not broadcast");
            }
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    // ------------------------------------------------------------------ layout

    @Override
    public Shape cat(List<Shape> values, int axis) {
        long[] dims = values.get(0).getShape().clone();
        for (int v = 1; v < values.size(); v++) {
            Shape s = values.get(v);
            for (int i = 0; i < dims.length; i++) {
                if (i != axis && s.get(i) != dims[i]) {
                    throw new IllegalArgumentException(owner.getClass().getSimpleName() + ": cannot concatenate "
                            + values + " along axis " + axis);
                }
            }
            dims[axis] += s.get(axis);
        }
        return new Shape(dims);
    }

    @Override
    public List<Shape> split(Shape x, long size, int count, int axis) {
        if (x.get(axis) != size * count) {
            throw new IllegalArgumentException(owner.getClass().getSimpleName() + ": cannot split " + x + " into "
                    + count + " slices of " + size + " along axis " + axis);
        }
        long[] dims = x.getShape().clone();
        dims[axis] = size;
        List<Shape> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(new Shape(dims));
        }
        return out;
    }

    @Override
    public Shape flatten(Shape x, int startAxis) {
        long[] dims = new long[startAxis + 1];
        for (int i = 0; i < startAxis; i++) {
            dims[i] = x.get(i);
        }
        long rest = 1;
        for (int i = startAxis; i < x.dimension(); i++) {
            rest *= x.get(i);
        }
        dims[startAxis] = rest;
        return new Shape(dims);
    }

    @Override
    public Shape selectChannels(Shape x, ChannelSelection selection) {
        return new Shape(x.get(0), selection.size(), x.get(2), x.get(3));
    }

    // ------------------------------------------------------------------ pooling and resampling

    @Override
    public Shape avgPool2d(Shape x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        return new Shape(x.get(0), x.get(1), ConvMath.poolOutputSize(x.get(2), kernel, stride, padding, ceilMode),
                ConvMath.poolOutputSize(x.get(3), kernel, stride, padding, ceilMode));
    }

    @Override
    public Shape maxPool2d(Shape x, int kernel, int stride, int padding) {
        return avgPool2d(x, kernel, stride, padding, false, true);
    }

    @Override
    public Shape globalAvgPool(Shape x) {
        return new Shape(x.get(0), x.get(1));
    }

    @Override
    public Shape spatialMean(Shape x) {
        return new Shape(x.get(0), x.get(1), 1, 1);
    }

    @Override
    public Shape adaptiveAvgPool2d(Shape x, int height, int width) {
        return new Shape(x.get(0), x.get(1), height, width);
    }

    @Override
    public Shape resizeBilinearAlignedLike(Shape x, Shape like) {
        return new Shape(x.get(0), x.get(1), like.get(2), like.get(3));
    }

    @Override
    public Shape upsampleNearest2x(Shape x) {
        return new Shape(x.get(0), x.get(1), 2 * x.get(2), 2 * x.get(3));
    }

    @Override
    public Shape addUpsampled(Shape high, Shape low) {
        Shape up = new Shape(low.get(0), low.get(1), 2 * low.get(2), 2 * low.get(3));
        if (!up.equals(high)) {
            throw new IllegalArgumentException(owner.getClass().getSimpleName() + ": " + high
                    + " and the upsampled " + up + " must have the same shape to be summed");
        }
        return high;
    }

    // ------------------------------------------------------------------ convolutions

    @Override
    public Shape conv2d(Shape x, DerivedWeight weight, DerivedWeight bias, ConvGeometry geometry) {
        return geometry.outputShape(x, weight.shape());
    }

    @Override
    public Shape mixtureConv(Shape x, Shape attention, Parameter bank, Parameter biasBank, MixtureConv spec) {
        return new Shape(x.get(0), spec.outChannels(), spec.outputLength(x.get(2)), spec.outputLength(x.get(3)));
    }
}
