package io.convzoo.blocks.hetconv;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference HetConv formulation as a real DJL block: one single-channel Conv2d per (output n,
 * input i) pair — 3×3 with padding 1 when (i - n) mod p == 0, else 1×1 — each with its own bias
 * when enabled, summed per output. It runs out·in engine convs per forward; it exists to check
 * {@link HetConv} against and for benchmarks, not for use in models.
 */
public class NaiveHetConv extends DataflowBlock {

    private static final String NAME = "NaiveHetConv";

    private final int inChannels;
    private final int outChannels;
    private final int part;
    private final int stride;

    /** One conv per channel pair; {@code pairBias} gives every pair its own bias, as the seed does. */
    public NaiveHetConv(int inChannels, int outChannels, int part, int stride, boolean pairBias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.part = part;
        this.stride = stride;
        for (int n = 0; n < outChannels; n++) {
            for (int i = 0; i < inChannels; i++) {
                boolean threeByThree = Math.floorMod(i - n, part) == 0;
                addChildBlock(pairName(n, i), threeByThree
                        ? Layers.conv(1, 3, stride, 1, 1, 1, pairBias)
                        : Layers.conv(1, 1, stride, 0, 1, 1, pairBias));
            }
        }
    }

    private static String pairName(int n, int i) {
        return "pair_" + n + "_" + i;
    }

    /** The conv that output {@code n} applies to input {@code i}. */
    public Block pair(int n, int i) {
        return children.valueAt(n * inChannels + i);
    }

    /**
     * Copies the kernels of an initialized {@link HetConv} into the pair convs (biases untouched),
     * following its documented layout: for output n, the k-th 3×3 input in ascending channel order
     * reads weight3x3[n, k] and the j-th 1×1 input reads weight1x1[n, j].
     */
    public void loadKernelsFrom(HetConv het) {
        float[] w3 = het.getParameters().get("weight3x3").getArray().toFloatArray();
        float[] w1 = part == 1 ? new float[0] : het.getParameters().get("weight1x1").getArray().toFloatArray();
        int c3 = inChannels / part;
        int c1 = inChannels - c3;
        for (int n = 0; n < outChannels; n++) {
            int k3 = 0;
            int k1 = 0;
            for (int i = 0; i < inChannels; i++) {
                NDArray w = pair(n, i).getParameters().get("weight").getArray();
                if (Math.floorMod(i - n, part) == 0) {
                    float[] kernel = new float[9];
                    System.arraycopy(w3, (n * c3 + k3++) * 9, kernel, 0, 9);
                    w.set(kernel);
                } else {
                    w.set(new float[] {w1[n * c1 + k1++]});
                }
            }
        }
    }

    /** Per output channel, the sum of its pairs' biases: what a single HetConv bias must equal. */
    public float[] summedBiases() {
        float[] sums = new float[outChannels];
        for (int n = 0; n < outChannels; n++) {
            for (int i = 0; i < inChannels; i++) {
                sums[n] += pair(n, i).getParameters().get("bias").getArray().getFloat(0);
            }
        }
        return sums;
    }

    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, s -> Checks.requireNchw(NAME, s, inChannels));
        List<T> channels = ops.split(x, 1, inChannels, 1);
        channels.forEach(ops::share);
        List<T> outputs = new ArrayList<>();
        for (int n = 0; n < outChannels; n++) {
            T sum = null;
            for (int i = 0; i < inChannels; i++) {
                T y = ops.child(pair(n, i), channels.get(i));
                sum = sum == null ? y : ops.add(sum, y);
            }
            outputs.add(sum);
        }
        return ops.cat(outputs, 1);
    }

    /** Stride shared by all pair convs. */
    public int getStride() {
        return stride;
    }
}
