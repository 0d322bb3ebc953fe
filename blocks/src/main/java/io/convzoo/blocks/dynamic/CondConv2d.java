package io.convzoo.blocks.dynamic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import io.convzoo.blocks.Checks;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.MacCounted;
import io.convzoo.blocks.MixtureConv;
import io.convzoo.blocks.Ops;
import java.util.List;

/**
 * Conditionally parameterized convolution (Yang et al., "CondConv", NeurIPS 2019) as timm's {@code CondConv2d}
 * (timm/layers/cond_conv2d.py): K expert kernels stored flattened, {@code weight} of shape
 * {@code (K, out · in/groups · k · k)} (and {@code bias} {@code (K, out)} when it has one), mixed per sample by
 * routing weights its caller computes: inputs {@code (x, routing)} with routing (N, K). timm's
 * {@code CondConvResidual} computes them once per block from the block input and hands them to its three
 * CondConv2d. The mixed conv is {@link Ops#mixtureConv}, as {@link DynamicConv2d}'s.
 *
 * <p>Initialization as timm's EfficientNet ({@code _init_weight_goog}): each expert normal with std
 * sqrt(2 / fan-out), fan-out = k · k · out / groups. Any other initializer set on {@code weight} is applied
 * to each expert's (out, in/groups, k, k) kernel, as timm's {@code get_condconv_initializer} does.
 */
public final class CondConv2d extends DataflowBlock implements MacCounted {

    private static final String NAME = "CondConv2d";

    private final MixtureConv spec;
    private final boolean hasBias;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param inChannels input channels
     * @param outChannels output channels
     * @param kernelSize square kernel side
     * @param stride stride
     * @param padding zero padding
     * @param dilation dilation
     * @param groups groups (inChannels for a depthwise conv)
     * @param experts K, the number of expert kernels
     * @param bias whether each expert has a bias
     */
    public CondConv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation,
                      int groups, int experts, boolean bias) {
        Checks.require(inChannels > 0 && outChannels > 0 && experts > 0, NAME,
                "channels and experts must be positive, got " + inChannels + " -> " + outChannels + ", K=" + experts);
        Checks.require(kernelSize > 0 && stride > 0 && dilation > 0 && padding >= 0, NAME,
                "kernel, stride and dilation must be >= 1 and padding >= 0");
        Checks.requireDivisible(NAME, "inChannels", inChannels, "groups", groups);
        Checks.requireDivisible(NAME, "outChannels", outChannels, "groups", groups);
        spec = new MixtureConv(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, experts);
        hasBias = bias;
        float fanOut = (float) kernelSize * kernelSize * outChannels / groups;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optInitializer(new NormalInitializer((float) Math.sqrt(2.0 / fanOut))).build());
        this.bias = bias ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build()) : null;
    }

    /** The mixture conv's configuration. */
    public MixtureConv spec() {
        return spec;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        requireInputs(inputShapes[0], inputShapes.length > 1 ? inputShapes[1] : null, inputShapes.length);
        weight.setShape(new Shape(spec.kernels(), spec.kernelElements()));
        Initializer given = weight.getInitializer();
        if (given != null && !(given instanceof PerExpert)) {
            weight.setInitializer(new PerExpert(given, new Shape(spec.outChannels(),
                    spec.inChannels() / spec.groups(), spec.kernelSize(), spec.kernelSize())));
        }
        if (bias != null) {
            bias.setShape(new Shape(spec.kernels(), spec.outChannels()));
        }
    }

    /** Inputs (x, routing): the routing is read once here; a caller that reuses it shares it first. */
    @Override
    public <T> List<T> forward(Ops<T> ops, List<T> inputs) {
        Checks.require(inputs.size() == 2, description(), "expected two inputs (x, routing (N, K=" + spec.kernels()
                + ")), got " + inputs.size());
        T x = inputs.get(0);
        T routing = inputs.get(1);
        ops.require(x, s -> requireInputs(s, ops.shapeOf(routing), 2));
        return List.of(ops.mixtureConv(x, routing, weight, bias, spec));
    }

    /** MACs of the mixed conv for the whole batch ({@link MixtureConv#convMacs}). */
    @Override
    public long ownMacs(Shape[] inputShapes) {
        return spec.convMacs(inputShapes[0]);
    }

    /** Kernel mixing for the whole batch ({@link MixtureConv#mixingMacs}). */
    @Override
    public long auxiliaryMacs(Shape[] inputShapes) {
        return spec.mixingMacs(inputShapes[0].get(0), hasBias);
    }

    private void requireInputs(Shape x, Shape routing, int count) {
        Checks.require(count == 2, description(), "expected two inputs (x, routing), got " + count);
        spec.requireInput(description(), x);
        if (routing != null) {
            Checks.require(routing.dimension() == 2 && routing.get(0) == x.get(0) && routing.get(1) == spec.kernels(),
                    description(), "expected routing weights of shape (N=" + x.get(0) + ", K=" + spec.kernels()
                            + "), got " + routing);
        }
    }

    private String description() {
        return NAME + "(" + spec.inChannels() + "->" + spec.outChannels() + ", k=" + spec.kernelSize() + ", K="
                + spec.kernels() + ")";
    }

    /** Declares its window, {@code CondConv2d(k=…,s=…,p=…,d=…)}, which the model summary reads for the receptive field. */
    @Override
    public String toString() {
        return NAME + "(k=" + spec.kernelSize() + ",s=" + spec.stride() + ",p=" + spec.padding() + ",d="
                + spec.dilation() + ")";
    }

    /** An initializer applied to each expert's kernel shape, the K results flattened to (K, out · in/g · k · k). */
    private record PerExpert(Initializer perKernel, Shape kernel) implements Initializer {
        @Override
        public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
            NDList experts = new NDList();
            for (long i = 0; i < shape.get(0); i++) {
                NDArray expert = perKernel.initialize(manager, kernel, dataType);
                experts.add(expert.reshape(1, -1));
                expert.close();
            }
            NDArray bank = NDArrays.concat(experts);
            experts.close();
            return bank;
        }
    }
}
