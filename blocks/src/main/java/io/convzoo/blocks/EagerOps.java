package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The interpreter DJL's forward runs: ops on DJL arrays, on the input's device, with the array
 * lifetimes of a forward handled here once for every block. A fresh value is freed as soon as the op
 * that consumes it has run (in training too: autograd keeps its own references to what the backward
 * needs), and in eval mode overwritten in place instead where it can be (ReLU aside, which DJL has
 * only out of place), so libtorch reuses warm buffers as a TorchScript module does; each child block
 * runs in an {@link ai.djl.ndarray.NDScope} ({@link ForwardArrays#step}) that frees what it made
 * besides its outputs. A training forward writes nothing in place (autograd).
 * Inside a {@link #convBn} pair that the inference preparation folded, the pair's convs run with the
 * folded weights ({@link ConvBnFolding}).
 */
public final class EagerOps implements Ops<NDArray> {

    /** Scalars an eval forward multiplies by, per value, device and type (made once, never freed). */
    private static final Map<ScalarKey, NDArray> SCALARS = new ConcurrentHashMap<>();
    private static final Map<Device, NDManager> SCALAR_MANAGERS = new ConcurrentHashMap<>();

    private record ScalarKey(float value, Device device, DataType type) { }

    private final ParameterStore ps;
    private final boolean training;
    private final PairList<String, Object> params;
    private final Set<NDArray> fresh = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Values this forward made and then shared once: {@link #release} by that one sharer frees them. */
    private final Set<NDArray> sharedFresh = Collections.newSetFromMap(new IdentityHashMap<>());
    private final ConvBnFolding.Active folded = new ConvBnFolding.Active();

    private EagerOps(ParameterStore ps, boolean training, PairList<String, Object> params) {
        this.ps = ps;
        this.training = training;
        this.params = params;
    }

    @Override
    public boolean training() {
        return training;
    }

    /** DJL's forward of {@code block}: its dataflow on the arrays of {@code inputs} (which are never freed). */
    static NDList run(DataflowBlock block, ParameterStore ps, NDList inputs, boolean training,
                      PairList<String, Object> params) {
        return new NDList(block.forward(new EagerOps(ps, training, params), inputs));
    }

    // ------------------------------------------------------------------ structure

    @Override
    public List<NDArray> child(Block child, List<NDArray> inputs) {
        if (child instanceof DataflowBlock d) {
            // Its own ops decide what is fresh and free what they consume.
            return ForwardArrays.step(() -> new NDList(d.forward(this, inputs)));
        }
        if (child instanceof Conv2d conv) {
            NDArray x = Ops.single(child, inputs);
            if (child.getClass() != Conv2d.class) {
                child.getOutputShapes(new Shape[] {x.getShape()}); // a subclass's input checks (CheckedConv2d)
            }
            return List.of(conv(conv, x));
        }
        List<NDArray> out = child.forward(ps, new NDList(inputs), training, params);
        // Layers known to return new arrays; anything else may return views of its input.
        boolean producesNew = child instanceof BatchNorm || child instanceof Linear;
        return producesNew ? produced(inputs, out) : out;
    }

    @Override
    public List<NDArray> convBn(Block conv, List<? extends Block> norms, List<NDArray> inputs) {
        ConvBnFolding folding = ConvBnFolding.installed();
        if (folding != null) {
            if (training) {
                folding.invalidate(norms);
            } else {
                ConvBnFolding.Folded f = folding.acquire(conv, norms, inputs.size(), inputs.get(0).getDevice());
                if (f != null) {
                    try {
                        return folded.with(f, () -> child(conv, inputs));
                    } finally {
                        f.close();
                    }
                }
            }
        }
        return Ops.convThenNorms(this, conv, norms, inputs);
    }

    @Override
    public NDArray share(NDArray x) {
        if (fresh.remove(x)) {
            sharedFresh.add(x);
        } else {
            sharedFresh.remove(x); // a second sharer (a feature list, a nested block): it may read on, never free
        }
        return x;
    }

    @Override
    public void release(NDArray x) {
        if (sharedFresh.remove(x)) {
            x.close();
        }
    }

    @Override
    public Shape shapeOf(NDArray x) {
        return x.getShape();
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public NDArray relu(NDArray x) {
        return produced(x, Activation.relu(x));
    }

    @Override
    public NDArray sigmoid(NDArray x) {
        return produced(x, Activation.sigmoid(x));
    }

    /** {@code sigmoid(x) * x}, the product written into the fresh sigmoid in eval (DJL's swish scales by a Java float). */
    @Override
    public NDArray silu(NDArray x) {
        NDArray gate = Activation.sigmoid(x);
        return produced(x, training ? gate.mul(x) : gate.muli(x));
    }

    @Override
    public NDArray softmax(NDArray x, int axis) {
        return produced(x, x.softmax(axis));
    }

    @Override
    public NDArray add(NDArray a, NDArray b) {
        if (!training && isFresh(a)) {
            a.addi(b);
            consume(b);
            return a;
        }
        return produced(a, b, a.add(b));
    }

    @Override
    public NDArray mul(NDArray a, NDArray b) {
        if (!training && isFresh(a)) {
            a.muli(b);
            consume(b);
            return a;
        }
        return produced(a, b, a.mul(b));
    }

    @Override
    public NDArray dropChannels(NDArray x, float rate) {
        Shape s = x.getShape();
        NDManager m = x.getManager();
        // Scaled by a native full(), not a Java float (see scale): autograd keeps the factor for the backward.
        NDArray keep = m.randomUniform(0f, 1f, new Shape(s.get(0), s.get(1), 1, 1), x.getDataType(), x.getDevice())
                .gte(rate).toType(x.getDataType(), false)
                .mul(m.full(new Shape(), 1f / (1f - rate), x.getDataType()));
        return produced(x, x.mul(keep));
    }

    @Override
    public NDArray scale(NDArray x, float factor) {
        if (factor == 1f) {
            return x;
        }
        if (training) {
            // Not x.mul(float): on CPU DJL wraps a Java scalar in a tensor that borrows a direct buffer and
            // frees it after the op, while autograd still holds it for the backward (garbage gradients after a
            // GC). A native full() owns its memory.
            return produced(x, x.mul(x.getManager().full(new Shape(), factor, x.getDataType())));
        }
        NDArray s = scalar(factor, x.getDevice(), x.getDataType());
        if (isFresh(x)) {
            return x.muli(s);
        }
        return produced(x, x.mul(s));
    }

    private static NDArray scalar(float value, Device device, DataType type) {
        return SCALARS.computeIfAbsent(new ScalarKey(value, device, type), k -> {
            NDManager m = SCALAR_MANAGERS.computeIfAbsent(device, NDManager::newBaseManager);
            NDArray s = m.full(new Shape(), value, type);
            ForwardArrays.keep(s);
            return s;
        });
    }

    // ------------------------------------------------------------------ layout

    @Override
    public NDArray cat(List<NDArray> values, int axis) {
        if (values.size() == 1) {
            return values.get(0);
        }
        NDArray y = NDArrays.concat(new NDList(values), axis);
        return produced(values, List.of(y)).get(0);
    }

    @Override
    public List<NDArray> split(NDArray x, long size, int count, int axis) {
        if (count == 1) {
            return List.of(x);
        }
        long[] indices = new long[count - 1];
        for (int i = 1; i < count; i++) {
            indices[i - 1] = i * size;
        }
        return views(x, x.split(indices, axis));
    }

    @Override
    public NDArray flatten(NDArray x, int startAxis) {
        Shape s = x.getShape();
        long[] dims = new long[startAxis + 1];
        for (int i = 0; i < startAxis; i++) {
            dims[i] = s.get(i);
        }
        dims[startAxis] = -1;
        return views(x, List.of(x.reshape(dims))).get(0);
    }

    @Override
    public NDArray selectChannels(NDArray x, ChannelSelection selection) {
        return produced(x, x.get(new NDIndex(":, {}", selection.on(x.getDevice()))));
    }

    // ------------------------------------------------------------------ pooling and resampling

    @Override
    public NDArray avgPool2d(NDArray x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        Shape k = new Shape(kernel, kernel);
        Shape s = new Shape(stride, stride);
        Shape p = new Shape(padding, padding);
        NDArray pooled = Pool.avgPool2d(x, k, s, p, ceilMode, true);
        if (!countIncludePad && padding > 0) {
            // DJL's PyTorch JNI drops count_include_pad (libtorch then always counts the padding). Dividing
            // by the pooled ones map turns sum/windowSize into sum/(cells inside the input).
            NDArray ones = x.getManager().ones(new Shape(1, 1, x.getShape().get(2), x.getShape().get(3)),
                    x.getDataType(), x.getDevice());
            pooled = pooled.div(Pool.avgPool2d(ones, k, s, p, ceilMode, true));
        }
        return produced(x, pooled);
    }

    @Override
    public NDArray maxPool2d(NDArray x, int kernel, int stride, int padding) {
        return produced(x, Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false));
    }

    @Override
    public NDArray globalAvgPool(NDArray x) {
        return produced(x, Pool.globalAvgPool2d(x));
    }

    /**
     * DJL's global average pool, which gives (N, C), reshaped to (N, C, 1, 1): faster than a whole-map
     * average pool on NCHW inputs and than two means on channels-last ones (docs/benchmarks.md).
     */
    @Override
    public NDArray spatialMean(NDArray x) {
        Shape s = x.getShape();
        NDArray mean = Pool.globalAvgPool2d(x).reshape(s.get(0), s.get(1), 1, 1);
        fresh.add(mean);
        return mean;
    }

    @Override
    public NDArray adaptiveAvgPool2d(NDArray x, int height, int width) {
        return produced(x, Resampling.adaptiveAvgPool(x, height, width));
    }

    @Override
    public NDArray resizeBilinearAlignedLike(NDArray x, NDArray like) {
        return produced(x, Resampling.bilinearAligned(x, like.getShape().get(2), like.getShape().get(3)));
    }

    @Override
    public NDArray upsampleNearest2x(NDArray x) {
        return produced(x, Resampling.nearestUpsample2x(x));
    }

    /**
     * In eval, with both fresh, the sum goes into {@code high} and {@code low} is freed ({@link Resampling#addUpsampled}).
     * In training, an upsampled copy and a same-shape add: the broadcast add's backward reduces over the broadcast
     * axes and was the slower (docs/benchmarks.md, "op profile of the training forward").
     */
    @Override
    public NDArray addUpsampled(NDArray high, NDArray low) {
        if (training) {
            return add(high, upsampleNearest2x(low));
        }
        if (!isFresh(high) || !isFresh(low)) {
            return produced(high, low, Resampling.addUpsampled(high, low, false));
        }
        fresh.remove(low);
        return Resampling.addUpsampled(high, low, true);
    }

    // ------------------------------------------------------------------ convolutions

    private NDArray conv(Conv2d c, NDArray x) {
        ConvBnFolding.FoldedConv f = folded.conv(c);
        NDArray y;
        if (f != null) {
            y = GroupedConvForms.conv2d(x, f.weight(), f.bias(), c.getStride(), c.getPadding(), c.getDilation(),
                    f.groups(), false);
        } else {
            Device device = x.getDevice();
            NDArray weight = ps.getValue(c.getParameters().get("weight"), device, training);
            NDArray bias = c.isIncludeBias() ? ps.getValue(c.getParameters().get("bias"), device, training) : null;
            // Convs with few channels per group run faster in another form on CPU (GroupedConvForms).
            y = GroupedConvForms.conv2d(x, weight, bias, c.getStride(), c.getPadding(), c.getDilation(),
                    c.getGroups(), training);
        }
        return produced(x, y);
    }

    @Override
    public NDArray conv2d(NDArray x, DerivedWeight weight, DerivedWeight bias, ConvGeometry g) {
        Device device = x.getDevice();
        NDArray w = weight.forForward(ps, device, training, x);
        NDArray b = bias == null ? null : bias.forForward(ps, device, training, x);
        return produced(x, Conv2d.conv2d(x, w, b, g.strideShape(), g.paddingShape(), g.dilationShape(),
                g.groups()).head());
    }

    /**
     * Mixes the bank per sample, then convolves in the form {@link MixtureConv#batchForm} picks: a batch
     * of one with its own kernel (no reshapes of the input: each is a native call), else one batched
     * matmul, one conv per sample, or one grouped conv with the batch folded into the channels.
     */
    @Override
    public NDArray mixtureConv(NDArray x, NDArray att, Parameter bank, Parameter biasBank, MixtureConv spec) {
        ConvBnFolding.FoldedMixture f = folded.mixture(bank);
        NDArray kernels;
        NDArray biases;
        NDArray shift;
        if (f != null) {
            kernels = f.scaledBank();
            biases = f.scaledBiasBank();
            shift = f.shift();
        } else {
            NDArray weights = ps.getValue(bank, x.getDevice(), training);
            kernels = ForwardArrays.derive(x, () -> weights.reshape(spec.kernels(), -1));
            biases = biasBank == null ? null : ps.getValue(biasBank, x.getDevice(), training);
            shift = null;
        }
        return produced(x, att, mix(x, att, kernels, biases, shift, spec));
    }

    private NDArray mix(NDArray x, NDArray att, NDArray bank, NDArray biasBank, NDArray shift, MixtureConv spec) {
        Shape s = x.getShape();
        long n = s.get(0);
        int out = spec.outChannels();
        int in = spec.inChannels();
        // (N, K) x (K, out * in/g * k * k): one mixed kernel set per sample.
        NDArray mixed = att.matMul(bank);
        NDArray bias = biasBank == null ? null : att.matMul(biasBank); // (N, out)
        if (shift != null) {
            bias = bias == null ? shift : bias.add(shift); // (N, out), or (out) shared by all samples
        }
        boolean sharedBias = biasBank == null;
        if (n == 1) {
            return sampleConv(x, mixed, sharedBias || bias == null ? bias : bias.reshape(-1), spec);
        }
        long oh = spec.outputLength(s.get(2));
        long ow = spec.outputLength(s.get(3));
        switch (spec.batchForm(x.getDevice(), training)) {
            case BATCHED_MATMUL -> {
                int stride = spec.stride();
                NDArray sampled = stride == 1 ? x : x.get(":, :, ::" + stride + ", ::" + stride);
                NDArray y = mixed.reshape(n, out, in).matMul(sampled.reshape(n, in, -1));
                if (bias != null) {
                    y = y.addi(bias.expandDims(-1));
                }
                return y.reshape(n, out, oh, ow);
            }
            case SAMPLE_BY_SAMPLE -> {
                NDList samples = new NDList((int) n);
                for (long b = 0; b < n; b++) {
                    samples.add(sampleConv(x.get(b + ":" + (b + 1)), mixed.get(b),
                            sharedBias || bias == null ? bias : bias.get(b), spec));
                }
                return NDArrays.concat(samples, 0);
            }
            default -> {
                NDArray batchBias = bias == null ? null : sharedBias ? bias.tile(n) : bias.reshape(-1);
                // Sample b only sees its own channel block: groups = N * groups.
                ConvGeometry g = spec.geometry();
                NDArray y = Conv2d.conv2d(x.reshape(1, n * in, s.get(2), s.get(3)),
                        mixed.reshape(n * out, in / spec.groups(), spec.kernelSize(), spec.kernelSize()), batchBias,
                        g.strideShape(), g.paddingShape(), g.dilationShape(), (int) (n * spec.groups())).head();
                return y.reshape(n, out, oh, ow);
            }
        }
    }

    /** One sample's conv with its mixed kernel set (out · in/g · k · k elements) and bias (out) or null. */
    private static NDArray sampleConv(NDArray sample, NDArray kernel, NDArray bias, MixtureConv spec) {
        ConvGeometry g = spec.geometry();
        return Conv2d.conv2d(sample, kernel.reshape(spec.outChannels(), spec.inChannels() / spec.groups(),
                spec.kernelSize(), spec.kernelSize()), bias, g.strideShape(), g.paddingShape(), g.dilationShape(),
                spec.groups()).head();
    }

    // ------------------------------------------------------------------ lifetimes

    private boolean isFresh(NDArray x) {
        return fresh.contains(x);
    }

    /** A value consumed by an op that did not return it: freed when it is fresh. */
    private void consume(NDArray x) {
        if (fresh.remove(x)) {
            x.close();
        }
    }

    private NDArray produced(NDArray input, NDArray output) {
        if (output != input) {
            consume(input);
            fresh.add(output);
        }
        return output;
    }

    private NDArray produced(NDArray a, NDArray b, NDArray output) {
        consume(a);
        if (b != a) {
            consume(b);
        }
        fresh.add(output);
        return output;
    }

    /** New {@code outputs} of {@code inputs}: the inputs they do not include are consumed. */
    private List<NDArray> produced(List<NDArray> inputs, List<NDArray> outputs) {
        for (NDArray x : inputs) {
            if (!containsSame(outputs, x)) {
                consume(x);
            }
        }
        for (NDArray y : outputs) {
            if (!containsSame(inputs, y)) {
                fresh.add(y);
            }
        }
        return outputs;
    }

    /** Views of {@code x}: fresh exactly when {@code x} was; {@code x}'s own handle is then freed (its storage stays). */
    private List<NDArray> views(NDArray x, List<NDArray> views) {
        if (isFresh(x)) {
            consume(x);
            fresh.addAll(views);
        }
        return views;
    }

    private static boolean containsSame(List<NDArray> list, NDArray a) {
        for (NDArray b : list) {
            if (a == b) {
                return true;
            }
        }
        return false;
    }
}
