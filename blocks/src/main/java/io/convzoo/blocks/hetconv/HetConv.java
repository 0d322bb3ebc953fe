package io.convzoo.blocks.hetconv;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.infer.InferencePreparable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HetConv (Singh et al., "HetConv: Heterogeneous Kernel-Based Convolutions for Deep CNNs"): each
 * output channel {@code n} applies a 3×3 kernel (padding 1) to the input channels {@code i} with
 * {@code (i - n) mod p == 0} and a 1×1 kernel to all the others, and sums the results. With
 * {@code p | in_channels} every output channel sees exactly {@code in/p} channels through 3×3
 * kernels and {@code in - in/p} through 1×1 kernels, whatever {@code out_channels} is.
 *
 * <p>Parameters, holding only the taps the definition uses:
 * <ul>
 *   <li>{@code weight3x3} of shape (out, in/p, 3, 3): entry {@code [n, k]} is the 3×3 kernel that
 *       output {@code n} applies to input {@code i = (n mod p) + k·p};</li>
 *   <li>{@code weight1x1} of shape (out, in - in/p, 1, 1): entry {@code [n, j]} is the 1×1 weight
 *       for the {@code j}-th input, in ascending order, that is not a 3×3 input of {@code n}
 *       (absent when {@code p == 1}, which is a plain 3×3 conv);</li>
 *   <li>{@code bias} of shape (out), only when enabled (off by default).</li>
 * </ul>
 * The reference formulation builds one single-channel conv per (output, input) pair, each with its
 * own bias; those {@code in} biases per output only ever appear summed, so this block keeps at most
 * one bias per output channel (their sum) — the same function with fewer, non-redundant
 * parameters. Parameters: {@code out·(9·in/p + in - in/p)} (+ {@code out} with bias).
 *
 * <p>The forward pass uses a constant number of engine ops, never one conv per channel pair.
 * {@link Strategy#DENSE_KERNEL} (default) gathers both weights into one dense (out, in, 3, 3) kernel
 * with a precomputed index and mask (made once per device) and runs one conv;
 * {@link Strategy#GROUPED_PLUS_POINTWISE} runs a grouped 3×3 conv (groups = p) over channels permuted
 * by residue plus a 1×1 conv with a masked dense weight. On the CPU engine the dense kernel was as
 * fast or faster at 64→64 on 32×32 for p = 2, 4, 8 (forward, and clearly so for forward+backward;
 * see HetConvBenchmark in the tests), despite computing zeros, hence the default. Stride applies to both kernels alike, as in
 * the reference (a 1×1 kernel at stride s samples the centres of the padded 3×3 windows).
 */
public class HetConv extends AbstractBlock implements MacCounted, InferencePreparable {

    /** Name used in error messages. */
    public static final String NAME = "HetConv";

    private static final byte VERSION = 1;

    /** How the forward pass maps the definition onto engine ops; both give the same numbers. */
    public enum Strategy {
        /** Gather the weights into one dense 3×3 kernel (zeros where unused) and run one conv. */
        DENSE_KERNEL,
        /** Grouped 3×3 conv over residue-permuted channels plus a masked 1×1 conv; needs p | out. */
        GROUPED_PLUS_POINTWISE
    }

    private final int inChannels;
    private final int outChannels;
    private final int part;
    private final int stride;
    private final boolean includeBias;
    private final Strategy strategy;

    private final Parameter weight3x3;
    private final Parameter weight1x1;
    private final Parameter bias;

    /** Gather indices and masks per device; engine constants, made once, not per forward. */
    private final Map<Device, Constants> constants = new ConcurrentHashMap<>();
    /** Whether eval forwards use {@link #prepared} (see {@link #prepareInference}). */
    private volatile boolean inferencePrepared;
    /** The dense kernel made once for eval forwards, with the weight arrays it came from. */
    private volatile PreparedKernel prepared;

    private record PreparedKernel(NDArray weight3x3, NDArray weight1x1, NDArray kernel) {
        boolean isFor(NDArray w3, NDArray w1) {
            return weight3x3 == w3 && weight1x1 == w1 && !kernel.isReleased();
        }
    }

    /** HetConv with stride 1, no bias, dense-kernel strategy. */
    public HetConv(int inChannels, int outChannels, int part) {
        this(inChannels, outChannels, part, 1, false, Strategy.DENSE_KERNEL);
    }

    /** HetConv with the dense-kernel strategy. */
    public HetConv(int inChannels, int outChannels, int part, int stride, boolean bias) {
        this(inChannels, outChannels, part, stride, bias, Strategy.DENSE_KERNEL);
    }

    /**
     * @param inChannels input channels, divisible by {@code part}
     * @param outChannels output channels (any count; the grouped strategy needs it divisible by part)
     * @param part p: the fraction 1/p of each output's inputs that get a 3×3 kernel
     * @param stride stride of both kernels
     * @param bias whether each output channel has a bias
     * @param strategy engine mapping of the forward pass
     */
    public HetConv(int inChannels, int outChannels, int part, int stride, boolean bias, Strategy strategy) {
        super(VERSION);
        Checks.require(inChannels >= 1 && outChannels >= 1, NAME,
                "channels must be >= 1, got in=" + inChannels + " out=" + outChannels);
        Checks.require(part >= 1 && stride >= 1, NAME, "p and stride must be >= 1, got p=" + part
                + " stride=" + stride);
        Checks.requireDivisible(NAME, "in_channels", inChannels, "p", part);
        if (strategy == Strategy.GROUPED_PLUS_POINTWISE) {
            Checks.requireDivisible(NAME + " (grouped strategy)", "out_channels", outChannels, "p", part);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.part = part;
        this.stride = stride;
        this.includeBias = bias;
        this.strategy = strategy;
        weight3x3 = addParameter(Parameter.builder().setName("weight3x3").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(outChannels, inChannels / part, 3, 3)).build());
        weight1x1 = part == 1 ? null : addParameter(Parameter.builder().setName("weight1x1")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(outChannels, inChannels - inChannels / part, 1, 1)).build());
        this.bias = bias ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(outChannels)).build()) : null;
    }

    /** True when output {@code n} applies a 3×3 kernel to input {@code i}: (i - n) mod p == 0. */
    public static boolean isThreeByThree(int n, int i, int part) {
        return Math.floorMod(i - n, part) == 0;
    }

    public int getInChannels() {
        return inChannels;
    }

    public int getOutChannels() {
        return outChannels;
    }

    public int getPart() {
        return part;
    }

    public int getStride() {
        return stride;
    }

    public Strategy getStrategy() {
        return strategy;
    }

    /** Expected number of parameters: out·(9·in/p + in - in/p) (+ out). */
    public static long parameterCount(long in, long out, long part, boolean bias) {
        return out * (9 * (in / part) + in - in / part) + (bias ? out : 0);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {outputShape(inputShapes[0])};
    }

    private Shape outputShape(Shape input) {
        Checks.requireNchw(NAME, input, inChannels);
        long h;
        long w;
        try {
            h = ConvMath.outputSize(input.get(2), 3, stride, 1, 1);
            w = ConvMath.outputSize(input.get(3), 3, stride, 1, 1);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(NAME + ": expected an input of shape (N, C=" + inChannels
                    + ", H>=1, W>=1), got " + input, e);
        }
        return new Shape(input.get(0), outChannels, h, w);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        outputShape(inputShapes[0]);
    }

    /** MACs of the definition for the whole batch: n·out·oh·ow·(9·in/p + in - in/p). */
    @Override
    public long ownMacs(Shape[] inputShapes) {
        Shape out = outputShape(inputShapes[0]);
        long perOutput = 9L * (inChannels / part) + (inChannels - inChannels / part);
        return out.get(0) * outChannels * out.get(2) * out.get(3) * perOutput;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        outputShape(x.getShape());
        Device device = x.getDevice();
        NDArray w3 = ps.getValue(weight3x3, device, training);
        NDArray b = bias == null ? null : ps.getValue(bias, device, training);
        Shape strides = new Shape(stride, stride);
        if (part == 1) {
            return Conv2d.conv2d(x, w3, b, strides, new Shape(1, 1), new Shape(1, 1), 1);
        }
        NDArray w1 = ps.getValue(weight1x1, device, training);
        Constants c = constantsFor(w3);
        if (training) {
            dropPrepared();
        } else if (inferencePrepared) {
            return Conv2d.conv2d(x, preparedKernel(w3, w1, c), b, strides, new Shape(1, 1), new Shape(1, 1), 1);
        }
        if (strategy == Strategy.DENSE_KERNEL) {
            NDArray dense = ForwardArrays.derive(x, () -> denseKernel(w3, w1, c));
            return Conv2d.conv2d(x, dense, b, strides, new Shape(1, 1), new Shape(1, 1), 1);
        }
        // Grouped strategy: work in residue order (channel r + k·p at position r·(C/p) + k), then restore.
        NDArray xp = x.get(new NDIndex(":, {}", c.inPermutation));
        NDArray w3p = ForwardArrays.derive(x, () -> w3.flatten().take(c.groupedIndex)
                .reshape(outChannels, inChannels / part, 3, 3));
        NDArray w1p = ForwardArrays.derive(x, () -> w1.flatten().take(c.pointwiseIndex).mul(c.pointwiseMask)
                .reshape(outChannels, inChannels, 1, 1));
        NDArray bp = b == null ? null : ForwardArrays.derive(x, () -> b.take(c.outPermutation));
        NDArray y = Conv2d.conv2d(xp, w3p, null, strides, new Shape(1, 1), new Shape(1, 1), part).head()
                .add(Conv2d.conv2d(xp, w1p, bp, strides, new Shape(0, 0), new Shape(1, 1), 1).head());
        return new NDList(y.get(new NDIndex(":, {}", c.outInverse)));
    }

    /** Both weights gathered into one dense (out, in, 3, 3) kernel, zeros where the definition has no tap. */
    private NDArray denseKernel(NDArray w3, NDArray w1, Constants c) {
        return w3.flatten().concat(w1.flatten()).take(c.denseIndex).mul(c.denseMask)
                .reshape(outChannels, inChannels, 3, 3);
    }

    /**
     * While prepared for inference, eval forwards (either strategy) run ONE conv with the dense kernel,
     * made once from the current weights instead of on every forward (5 gather ops fewer, which at
     * 64→64 on 32×32 cost more than the conv). Training forwards drop it (in-place optimizer updates),
     * as does replacing a weight array; after other in-place writes, prepare again.
     */
    @Override
    public void prepareInference(boolean enabled) {
        inferencePrepared = enabled;
        dropPrepared();
    }

    private synchronized NDArray preparedKernel(NDArray w3, NDArray w1, Constants c) {
        PreparedKernel p = prepared;
        if (p == null || !p.isFor(w3, w1)) {
            if (p != null) {
                p.kernel().close();
            }
            NDArray kernel = ForwardArrays.derive(w3, () -> denseKernel(w3, w1, c)); // lives with the weights
            ForwardArrays.keep(kernel);
            p = new PreparedKernel(w3, w1, kernel);
            prepared = p;
        }
        return p.kernel();
    }

    private synchronized void dropPrepared() {
        if (prepared != null) {
            prepared.kernel().close();
            prepared = null;
        }
    }

    private Constants constantsFor(NDArray weight) {
        Constants c = constants.get(weight.getDevice());
        if (c == null || c.isReleased() || c.dataType != weight.getDataType()) {
            c = new Constants(weight);
            constants.put(weight.getDevice(), c);
        }
        return c;
    }

    /** Index/mask arrays for both strategies, living in the weights' manager on their device. */
    private final class Constants {
        final DataType dataType;
        final NDArray denseIndex;
        final NDArray denseMask;
        final NDArray inPermutation;
        final NDArray outPermutation;
        final NDArray outInverse;
        final NDArray groupedIndex;
        final NDArray pointwiseIndex;
        final NDArray pointwiseMask;

        Constants(NDArray weight) {
            NDManager m = weight.getManager();
            Device d = weight.getDevice();
            dataType = weight.getDataType();
            int in = inChannels;
            int out = outChannels;
            int c3 = in / part;
            int c1 = in - c3;
            long threeByThreeTaps = (long) out * c3 * 9;

            // Dense kernel: flat (n, i, ky, kx) <- concat(weight3x3, weight1x1) flat, zero elsewhere.
            long[] dIndex = new long[out * in * 9];
            float[] dMask = new float[out * in * 9];
            for (int n = 0; n < out; n++) {
                int r = n % part;
                int j = 0;
                for (int i = 0; i < in; i++) {
                    int base = (n * in + i) * 9;
                    if (isThreeByThree(n, i, part)) {
                        int k = (i - r) / part;
                        for (int t = 0; t < 9; t++) {
                            dIndex[base + t] = ((long) n * c3 + k) * 9 + t;
                            dMask[base + t] = 1;
                        }
                    } else {
                        dIndex[base + 4] = threeByThreeTaps + (long) n * c1 + j++;
                        dMask[base + 4] = 1;
                    }
                }
            }

            // Grouped: channel order by residue; output group r holds outputs r, r + p, ...
            long[] inPerm = residueOrder(in);
            long[] outPerm = part <= 1 || out % part != 0 ? new long[0] : residueOrder(out);
            long[] outInv = new long[outPerm.length];
            for (int q = 0; q < outPerm.length; q++) {
                outInv[(int) outPerm[q]] = q;
            }
            long[] gIndex = new long[outPerm.length * c3 * 9];
            long[] pIndex = new long[outPerm.length * in];
            float[] pMask = new float[outPerm.length * in];
            for (int q = 0; q < outPerm.length; q++) {
                int n = (int) outPerm[q];
                for (int t = 0; t < c3 * 9; t++) {
                    gIndex[q * c3 * 9 + t] = (long) n * c3 * 9 + t;
                }
                for (int pos = 0; pos < in; pos++) {
                    int i = (int) inPerm[pos];
                    if (!isThreeByThree(n, i, part)) {
                        pIndex[q * in + pos] = (long) n * c1 + oneByOneRank(n, i);
                        pMask[q * in + pos] = 1;
                    }
                }
            }
            denseIndex = onDevice(m.create(dIndex), d);
            denseMask = onDevice(m.create(dMask).toType(dataType, false), d);
            inPermutation = onDevice(m.create(inPerm), d);
            outPermutation = onDevice(m.create(outPerm), d);
            outInverse = onDevice(m.create(outInv), d);
            groupedIndex = onDevice(m.create(gIndex), d);
            pointwiseIndex = onDevice(m.create(pIndex), d);
            pointwiseMask = onDevice(m.create(pMask).toType(dataType, false), d);
            ForwardArrays.keep(denseIndex, denseMask, inPermutation, outPermutation, outInverse, groupedIndex,
                    pointwiseIndex, pointwiseMask);
        }

        boolean isReleased() {
            return denseIndex.isReleased();
        }

        private long[] residueOrder(int channels) {
            long[] order = new long[channels];
            int pos = 0;
            for (int r = 0; r < part; r++) {
                for (int i = r; i < channels; i += part) {
                    order[pos++] = i;
                }
            }
            return order;
        }

        /** Rank of input i among the 1×1 inputs of output n, in ascending channel order. */
        private int oneByOneRank(int n, int i) {
            int rank = 0;
            for (int other = 0; other < i; other++) {
                if (!isThreeByThree(n, other, part)) {
                    rank++;
                }
            }
            return rank;
        }

        private NDArray onDevice(NDArray a, Device d) {
            if (a.getDevice().equals(d)) {
                return a;
            }
            NDArray moved = a.toDevice(d, false);
            a.close();
            return moved;
        }
    }
}
