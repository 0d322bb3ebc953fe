package io.convzoo.blocks.hetconv;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.ChannelSelection;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.ConvGeometry;
import io.convzoo.blocks.ConvMath;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.DerivedWeight;
import io.convzoo.blocks.ForwardArrays;
import io.convzoo.blocks.InferencePreparable;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.Ops;
import java.util.List;
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
 * by residue plus a 1×1 conv with a masked dense weight. The dense kernel is the default: it was as
 * fast or faster on the CPU engine despite computing zeros (docs/benchmarks.md). Stride applies to
 * both kernels alike, as in the reference (a 1×1 kernel at stride s samples the centres of the padded
 * 3×3 windows).
 */
public class HetConv extends DataflowBlock implements MacCounted, InferencePreparable {

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
    /** Input channels in residue order, and the outputs back from residue order (grouped strategy). */
    private final ChannelSelection inPermutation;
    private final ChannelSelection outInverse;
    /** Both weights gathered into one dense (out, in, 3, 3) kernel (weight3x3 itself when p = 1). */
    private final DerivedWeight denseKernel;
    /** The grouped strategy's weights in residue order: the 3×3 kernels, the masked 1×1 weight, the bias. */
    private final DerivedWeight groupedKernel;
    private final DerivedWeight pointwiseKernel;
    private final DerivedWeight permutedBias;
    private final DerivedWeight plainBias;
    /** Whether eval forwards use one dense kernel made once (see {@link #prepareInference}). */
    private volatile boolean inferencePrepared;

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
        inPermutation = new ChannelSelection(residueOrder(inChannels, part), this::weightManager);
        outInverse = new ChannelSelection(inverse(outputResidueOrder()), this::weightManager);
        denseKernel = part == 1 ? DerivedWeight.of(weight3x3) : new DerivedWeight(List.of(weight3x3, weight1x1),
                w -> denseKernel(w.get(0), w.get(1), constantsFor(w.get(0))), new Shape(outChannels, inChannels, 3, 3));
        groupedKernel = part == 1 ? null : new DerivedWeight(List.of(weight3x3), w -> w.get(0).flatten()
                .take(constantsFor(w.get(0)).groupedIndex).reshape(outChannels, inChannels / part, 3, 3),
                new Shape(outChannels, inChannels / part, 3, 3));
        pointwiseKernel = part == 1 ? null : new DerivedWeight(List.of(weight1x1), w -> w.get(0).flatten()
                .take(constantsFor(w.get(0)).pointwiseIndex).mul(constantsFor(w.get(0)).pointwiseMask)
                .reshape(outChannels, inChannels, 1, 1), new Shape(outChannels, inChannels, 1, 1));
        plainBias = bias ? DerivedWeight.of(this.bias) : null;
        permutedBias = bias && part > 1 ? new DerivedWeight(List.of(this.bias),
                b -> b.get(0).take(constantsFor(weight3x3.getArray()).outPermutation), new Shape(outChannels)) : null;
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

    /**
     * One conv with the dense kernel ({@link Strategy#DENSE_KERNEL}, and every prepared eval forward);
     * or, in residue order, a grouped 3×3 conv plus a masked 1×1 conv, then the outputs back in order.
     */
    @Override
    protected <T> T forward(Ops<T> ops, T x) {
        ops.require(x, this::outputShape);
        if (part == 1 || strategy == Strategy.DENSE_KERNEL || inferencePrepared) {
            return ops.conv2d(x, denseKernel, plainBias, new ConvGeometry(stride, 1, 1, 1));
        }
        T xp = ops.share(ops.selectChannels(x, inPermutation));
        T threeByThree = ops.conv2d(xp, groupedKernel, null, new ConvGeometry(stride, 1, 1, part));
        T oneByOne = ops.conv2d(xp, pointwiseKernel, permutedBias, new ConvGeometry(stride, 0, 1, 1));
        return ops.selectChannels(ops.add(threeByThree, oneByOne), outInverse);
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
        denseKernel.setCaching(enabled);
    }

    private NDManager weightManager() {
        return weight3x3.getArray().getManager();
    }

    /** Channels in residue order: r, r + p, r + 2p, … for r = 0 .. p-1. */
    private static long[] residueOrder(int channels, int part) {
        long[] order = new long[channels];
        int pos = 0;
        for (int r = 0; r < part; r++) {
            for (int i = r; i < channels; i += part) {
                order[pos++] = i;
            }
        }
        return order;
    }

    /** The grouped strategy's output order (output group r holds outputs r, r + p, …); empty where it does not apply. */
    private long[] outputResidueOrder() {
        return part <= 1 || outChannels % part != 0 ? new long[0] : residueOrder(outChannels, part);
    }

    private static long[] inverse(long[] permutation) {
        long[] inverse = new long[permutation.length];
        for (int q = 0; q < permutation.length; q++) {
            inverse[(int) permutation[q]] = q;
        }
        return inverse;
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
            long[] inPerm = residueOrder(in, part);
            long[] outPerm = outputResidueOrder();
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
            inPermutation = HetConv.this.inPermutation.on(d);
            outPermutation = onDevice(m.create(outPerm), d);
            outInverse = HetConv.this.outInverse.on(d);
            groupedIndex = onDevice(m.create(gIndex), d);
            pointwiseIndex = onDevice(m.create(pIndex), d);
            pointwiseMask = onDevice(m.create(pMask).toType(dataType, false), d);
            ForwardArrays.keep(denseIndex, denseMask, outPermutation, groupedIndex, pointwiseIndex, pointwiseMask);
        }

        boolean isReleased() {
            return denseIndex.isReleased();
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
