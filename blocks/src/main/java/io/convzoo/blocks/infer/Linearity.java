package io.convzoo.blocks.infer;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import io.convzoo.blocks.ChannelSelection;
import io.convzoo.blocks.ConvGeometry;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.DerivedWeight;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * The folding analysis: runs a block's dataflow to find which output channels are linear (a sum or
 * concatenation of convolution outputs) in which of its convolutions. A BatchNorm after such an output
 * folds into those convolutions: each conv's weight scaled per output channel, the shift added once per
 * channel. Anything else (a ReLU, a pool after a conv, an input passed through) is opaque.
 */
final class Linearity implements Ops<Linearity.Value> {

    /** A convolution whose output is linear in its weight: a DJL conv, or a mixture conv's bank. */
    record Leaf(Conv2d conv, Parameter bank, Parameter biasBank, MixtureConv mixture, long channels) {
        static Leaf of(Conv2d conv) {
            return new Leaf(conv, null, null, null, conv.getFilters());
        }

        static Leaf of(Parameter bank, Parameter biasBank, MixtureConv spec) {
            return new Leaf(null, bank, biasBank, spec, spec.outChannels());
        }
    }

    /** Channels {@code [valueStart, valueStart + leaf.channels)} of a value receive all of {@code leaf}'s outputs. */
    record Term(Leaf leaf, long valueStart) { }

    /** A value: opaque (null terms), or linear with its channel count and terms in the order they were summed. */
    record Value(List<Term> terms, long channels) {
        static final Value OPAQUE = new Value(null, -1);

        boolean linear() {
            return terms != null;
        }
    }

    /** The outputs of {@code conv} applied to {@code inputs} values, as linear values or opaque ones. */
    static List<Value> of(Block conv, int inputs) {
        Linearity ops = new Linearity();
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            in.add(Value.OPAQUE);
        }
        try {
            return ops.child(conv, in);
        } catch (RuntimeException e) {
            return List.of(); // a dataflow this analysis cannot follow is not folded
        }
    }

    @Override
    public List<Value> child(Block child, List<Value> inputs) {
        if (child instanceof DataflowBlock d) {
            return d.forward(this, inputs);
        }
        if (child instanceof Conv2d conv) {
            return List.of(new Value(List.of(new Term(Leaf.of(conv), 0)), conv.getFilters()));
        }
        return List.of(Value.OPAQUE);
    }

    @Override
    public List<Value> convBn(Block conv, List<? extends Block> norms, List<Value> inputs) {
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < norms.size(); i++) {
            out.add(Value.OPAQUE); // folded by its own pair
        }
        return out;
    }

    @Override
    public Value share(Value x) {
        return x;
    }

    @Override
    public Shape shapeOf(Value x) {
        return null;
    }

    @Override
    public Value relu(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value sigmoid(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value silu(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value softmax(Value x, int axis) {
        return Value.OPAQUE;
    }

    @Override
    public Value add(Value a, Value b) {
        return sum(a, b);
    }

    /** Nearest upsampling commutes with a per-channel affine map: the sum stays linear. */
    @Override
    public Value addUpsampled(Value high, Value low) {
        return sum(high, low);
    }

    private static Value sum(Value a, Value b) {
        if (!a.linear() || !b.linear() || a.channels() != b.channels()) {
            return Value.OPAQUE;
        }
        List<Term> terms = new ArrayList<>(a.terms());
        terms.addAll(b.terms());
        return new Value(terms, a.channels());
    }

    @Override
    public Value mul(Value a, Value b) {
        return Value.OPAQUE;
    }

    @Override
    public Value scale(Value x, float factor) {
        return Value.OPAQUE;
    }

    @Override
    public Value cat(List<Value> values, int axis) {
        if (values.size() == 1) {
            return values.get(0);
        }
        List<Term> terms = new ArrayList<>();
        long channels = 0;
        for (Value v : values) {
            if (axis != 1 || !v.linear()) {
                return Value.OPAQUE;
            }
            for (Term t : v.terms()) {
                terms.add(new Term(t.leaf(), channels + t.valueStart()));
            }
            channels += v.channels();
        }
        return new Value(terms, channels);
    }

    @Override
    public List<Value> split(Value x, long size, int count, int axis) {
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(Value.OPAQUE);
        }
        return out;
    }

    @Override
    public Value flatten(Value x, int startAxis) {
        return Value.OPAQUE;
    }

    @Override
    public Value selectChannels(Value x, ChannelSelection selection) {
        return Value.OPAQUE;
    }

    @Override
    public Value avgPool2d(Value x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        return Value.OPAQUE;
    }

    @Override
    public Value maxPool2d(Value x, int kernel, int stride, int padding) {
        return Value.OPAQUE;
    }

    @Override
    public Value globalAvgPool(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value spatialMean(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value adaptiveAvgPool2d(Value x, int height, int width) {
        return Value.OPAQUE;
    }

    @Override
    public Value resizeBilinearAlignedLike(Value x, Value like) {
        return Value.OPAQUE;
    }

    @Override
    public Value upsampleNearest2x(Value x) {
        return Value.OPAQUE;
    }

    @Override
    public Value conv2d(Value x, DerivedWeight weight, DerivedWeight bias, ConvGeometry geometry) {
        return Value.OPAQUE;
    }

    @Override
    public Value mixtureConv(Value x, Value attention, Parameter bank, Parameter biasBank, MixtureConv spec) {
        return new Value(List.of(new Term(Leaf.of(bank, biasBank, spec), 0)), spec.outChannels());
    }
}
