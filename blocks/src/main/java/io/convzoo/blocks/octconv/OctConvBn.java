package io.convzoo.blocks.octconv;

import io.convzoo.blocks.script.ScriptWriter;
import io.convzoo.blocks.script.Scriptable;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TracedBlock;
import io.convzoo.blocks.infer.ConvBn;
import java.util.List;

/**
 * An {@link OctConv} followed by one BatchNorm per frequency, the official {@code Conv_BN}:
 * children {@code conv}, {@code bn_h} and, when the conv has a low-frequency output, {@code bn_l}.
 * Reads and returns arrays with the same (high[, low]) convention as {@link OctConv}.
 */
public class OctConvBn extends TracedBlock implements Scriptable {

    private final OctConv conv;
    private final BatchNorm bnH;
    private final BatchNorm bnL;

    /**
     * @param conv the octave convolution
     * @param zeroGamma start both BatchNorms at gamma = 0 (zero-init of a residual branch's last BN)
     */
    public OctConvBn(OctConv conv, boolean zeroGamma) {
        this.conv = conv;
        this.bnH = zeroGamma ? Layers.zeroGammaBatchNorm() : Layers.batchNorm();
        this.bnL = conv.hasLowOut() ? (zeroGamma ? Layers.zeroGammaBatchNorm() : Layers.batchNorm()) : null;
        addChildBlock("conv", conv);
        addChildBlock("bn_h", bnH);
        if (bnL != null) {
            addChildBlock("bn_l", bnL);
        }
    }

    /** An OctConvBn with BatchNorms starting at gamma = 1. */
    public OctConvBn(OctConv conv) {
        this(conv, false);
    }

    /** The octave convolution. */
    public OctConv getConv() {
        return conv;
    }

    /** The activation applied after each BatchNorm, or null (none here). */
    protected Block activation() {
        return null;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDList folded = forwardFolded(ps, inputs, training, params);
        if (folded != null) {
            return folded;
        }
        NDList y = conv.forward(ps, inputs, training, params);
        NDArray high = finish(ps, bnH, y.get(0), training, params);
        if (bnL == null) {
            return new NDList(high);
        }
        return new NDList(high, finish(ps, bnL, y.get(1), training, params));
    }

    /**
     * With the inference preparation ({@link ConvBn}), an eval forward runs each path's conv with its
     * frequency's BatchNorm folded in (the paths are summed before the BatchNorm, so each is scaled);
     * null when the pair is not folded.
     */
    private NDList forwardFolded(ParameterStore ps, NDList inputs, boolean training,
                                 PairList<String, Object> params) {
        Device device = inputs.head().getDevice();
        List<Conv2d> highPaths = conv.highOutPaths();
        ConvBn.SummedPaths high = ConvBn.summedPaths(highPaths, bnH, training, device);
        ConvBn.SummedPaths low = bnL == null ? null : ConvBn.summedPaths(conv.lowOutPaths(), bnL, training, device);
        NDList y;
        try {
            if (high == null || (bnL != null && low == null)) {
                return null;
            }
            y = conv.forwardPaths(inputs, false, (path, x) -> (highPaths.contains(path) ? high : low).apply(path, x));
        } finally {
            ConvBn.done(high);
            ConvBn.done(low);
        }
        Block act = activation();
        if (act == null) {
            return y;
        }
        NDList out = act.forward(ps, y, false, params);
        ForwardArrays.release(false, y, out); // the path sums, dead once activated
        return out;
    }

    /** The script of the eval forward: the folded paths when the prepared forward folded both BatchNorms. */
    @Override
    public List<String> emitScript(ScriptWriter w, List<String> inputs) {
        ConvBn.FoldedPair high = ConvBn.foldedPair(bnH, w.device());
        ConvBn.FoldedPair low = bnL == null ? null : ConvBn.foldedPair(bnL, w.device());
        List<String> y;
        if (high != null && (bnL == null || low != null)) {
            y = conv.emitPaths(w, inputs, (path, x) -> {
                ConvBn.FoldedPair pair = high.convs().contains(path) ? high : low;
                return w.foldedConv(pair, pair.convs().indexOf(path), x);
            });
        } else {
            List<String> raw = w.emit(conv, inputs);
            y = bnL == null ? List.of(w.emit(bnH, raw.get(0)))
                    : List.of(w.emit(bnH, raw.get(0)), w.emit(bnL, raw.get(1)));
        }
        Block act = activation();
        return act == null ? y : w.emit(act, y);
    }

    private NDArray finish(ParameterStore ps, BatchNorm bn, NDArray x, boolean training,
                           PairList<String, Object> params) {
        NDList out = bn.forward(ps, new NDList(x), training, params);
        Block act = activation();
        if (act != null) {
            out = act.forward(ps, out, training, params);
        }
        return out.singletonOrThrow();
    }

    @Override
    protected Shape[] trace(Shape[] inputShapes, ChildVisitor visitor) {
        Shape[] y = visit(visitor, "conv", conv, inputShapes);
        Shape high = visit(visitor, "bn_h", bnH, y[0])[0];
        Shape low = bnL != null ? visit(visitor, "bn_l", bnL, y[1])[0] : null;
        Block act = activation();
        if (act != null) {
            // One activation module applied to each part, as officially.
            high = visit(visitor, "act", act, high)[0];
            if (low != null) {
                low = visit(visitor, "act", act, low)[0];
            }
        }
        return low == null ? new Shape[] {high} : new Shape[] {high, low};
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + conv + "]";
    }
}
