package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import io.convzoo.blocks.GroupedConvForms;
import io.convzoo.blocks.Layers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Builds the TorchScript source of a model's eval forward: one statement per engine op, tensors as
 * graph constants, and which variables may be overwritten in place. {@link ScriptOps} drives it from
 * the blocks' dataflow.
 */
public final class ScriptWriter {

    private final Device device;
    private final StringBuilder body = new StringBuilder();
    private final List<NDArray> constants = new ArrayList<>();
    /** Arrays made only for the script (derived weights): freed once the module holds its copy. */
    private final List<NDArray> owned = new ArrayList<>();
    private final Map<NDArray, String> constantNames = new IdentityHashMap<>();
    private final Set<String> fresh = new HashSet<>();
    private final List<Supplier<Object>> watched = new ArrayList<>();
    private final List<Object> watchedValues = new ArrayList<>();
    private int nextVariable;

    /** A writer for a model whose arrays live on {@code device}. */
    public ScriptWriter(Device device) {
        this.device = device;
    }

    /** The device the model's arrays (and so the script's constants) are on. */
    public Device device() {
        return device;
    }

    /** The name the script refers to {@code array} by (one constant per array). */
    public String constant(NDArray array) {
        return constantNames.computeIfAbsent(array, a -> {
            constants.add(a);
            return "CONSTANTS.c" + (constants.size() - 1);
        });
    }

    /** {@link #constant} of an array made for the script alone, freed by {@link #releaseConstants}. */
    public String ownedConstant(NDArray array) {
        owned.add(array);
        return constant(array);
    }

    /** {@code constant(p.getArray())}. */
    public String constant(Parameter p) {
        return constant(p.getArray());
    }

    /**
     * Records a value other than a parameter array that the script bakes in (a temperature): the
     * script is stale once {@code state} returns something else ({@link #isCurrent}).
     */
    public <T> T watch(Supplier<T> state) {
        T value = state.get();
        @SuppressWarnings("unchecked")
        Supplier<Object> untyped = (Supplier<Object>) state;
        watched.add(untyped);
        watchedValues.add(value);
        return value;
    }

    /** Whether every {@link #watch watched} value is still what the script was written with. */
    boolean isCurrent() {
        for (int i = 0; i < watched.size(); i++) {
            if (!Objects.equals(watched.get(i).get(), watchedValues.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** A float as a TorchScript literal that parses back to the same float. */
    public static String literal(float value) {
        return Float.toString(value);
    }

    /** Assigns {@code expression} to a new variable, which its writer may modify in place; returns its name. */
    public String let(String expression) {
        String name = "v" + nextVariable++;
        statement(name + " = " + expression);
        fresh.add(name);
        return name;
    }

    /** Writes {@code count} new variables unpacked from {@code expression} (a tuple or list of tensors). */
    public List<String> unpack(String expression, int count) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add("v" + nextVariable++);
        }
        statement(String.join(", ", names) + ", = " + expression);
        fresh.addAll(names);
        return names;
    }

    /** Writes one statement of the forward body. */
    public void statement(String line) {
        body.append("    ").append(line).append('\n');
    }

    /** Whether {@code variable} was made by the script and is read by one consumer only (may be modified in place). */
    public boolean isFresh(String variable) {
        return fresh.contains(variable);
    }

    /** Marks {@code variable} as read more than once: nothing may modify it in place any more. */
    public String share(String variable) {
        fresh.remove(variable);
        return variable;
    }

    /** relu, in place when {@code variable} is fresh. */
    public String relu(String variable) {
        return isFresh(variable) ? let("torch.relu_(" + variable + ")") : let("torch.relu(" + variable + ")");
    }

    /** {@code a + b} written into {@code a} when it is fresh. */
    public String add(String a, String b) {
        return isFresh(a) ? let("torch.add_(" + a + ", " + b + ")") : let("torch.add(" + a + ", " + b + ")");
    }

    /** {@code relu(branch + shortcut)}, the residual ending, as {@code ForwardArrays.residualRelu} runs it. */
    public String residualRelu(String branch, String shortcut) {
        return relu(add(branch, shortcut));
    }

    /** An average pool with square window, as PyTorch's {@code AvgPool2d} (divisor left at its default). */
    public String avgPool2d(String x, int kernel, int stride, int padding, boolean ceilMode, boolean countIncludePad) {
        return channelsLastPool(x, in -> "torch.avg_pool2d(" + in + ", " + ints(kernel, kernel) + ", "
                + ints(stride, stride) + ", " + ints(padding, padding) + ", " + (ceilMode ? "True" : "False") + ", "
                + (countIncludePad ? "True" : "False") + ", None)");
    }

    /** A max pool with square window, as PyTorch's {@code MaxPool2d(kernel, stride, padding)}. */
    public String maxPool2d(String x, int kernel, int stride, int padding) {
        return channelsLastPool(x, in -> "torch.max_pool2d(" + in + ", " + ints(kernel, kernel) + ", "
                + ints(stride, stride) + ", " + ints(padding, padding) + ", [1, 1], False)");
    }

    /**
     * A pool on libtorch's channels-last CPU kernel, whatever x's layout, with the result back in x's
     * layout. The channels-last kernels are vectorized over channels and the NCHW ones are not, so this is
     * faster even with both copies, and gives the same values (docs/benchmarks.md, "pools"). An x with its
     * channels innermost is pooled as it is. memory_format
     * 2 is torch.channels_last (serialized TorchScript code names formats by number).
     */
    private String channelsLastPool(String x, UnaryOperator<String> pool) {
        if (!Device.Type.CPU.equals(device.getDeviceType())) {
            return let(pool.apply(x));
        }
        // Channels innermost already (a channels-last batch or a channel slice of one): pooled as it is.
        String channelsInnermost = let(x + ".stride(1) == 1");
        return let(pool.apply(x) + " if " + channelsInnermost + " else "
                + pool.apply(x + ".contiguous(memory_format=2)") + ".contiguous()");
    }

    /**
     * {@code torch.conv2d} with the given constants' names, or its depthwise-per-output form where
     * {@link GroupedConvForms#formFor} picks it for this writer's device (as the Java forward does).
     */
    public String conv2d(String x, Shape weightShape, String weight, String bias, Shape stride, Shape padding,
                         Shape dilation, int groups) {
        if (GroupedConvForms.formFor(device, weightShape, groups, false)
                != GroupedConvForms.Form.DEPTHWISE_PER_OUTPUT) {
            return let("torch.conv2d(" + x + ", " + weight + ", " + bias + ", " + ints(stride) + ", " + ints(padding)
                    + ", " + ints(dilation) + ", " + groups + ")");
        }
        long out = weightShape.get(0);
        long inPerGroup = weightShape.get(1);
        long outPerGroup = out / groups;
        String kernelSize = weightShape.get(2) + ", " + weightShape.get(3);
        // The group sums are laid out as x is (a reduction's result is contiguous in its view's order):
        // a channels-last batch stays channels-last for the convs after it.
        // memory_format 2 is torch.channels_last (see channelsLastPool).
        String channelsLast = let(x + ".is_contiguous(memory_format=2)");
        List<String> perOutput = new ArrayList<>();
        for (long j = 0; j < outPerGroup; j++) {
            String kernel = outPerGroup == 1 ? weight
                    : weight + ".reshape([" + groups + ", " + outPerGroup + ", " + inPerGroup + ", " + kernelSize
                    + "]).select(1, " + j + ")";
            String y = let("torch.conv2d(" + x + ", " + kernel + ".reshape([" + inPerGroup * groups + ", 1, "
                    + kernelSize + "]), None, " + ints(stride) + ", " + ints(padding) + ", " + ints(dilation) + ", "
                    + inPerGroup * groups + ")");
            String n = y + ".size(0)";
            String h = y + ".size(2)";
            String w = y + ".size(3)";
            perOutput.add(let(y + ".permute([0, 2, 3, 1]).reshape([" + n + ", " + h + ", " + w + ", " + groups + ", "
                    + inPerGroup + "]).sum(4) if " + channelsLast + " else " + y + ".reshape([" + n + ", " + groups
                    + ", " + inPerGroup + ", " + h + ", " + w + "]).sum(2)"));
        }
        // Channels-last sums are (N, H, W, g): outputs stack along the last axis, then view as (N, C, H, W).
        String y = outPerGroup == 1
                ? let(perOutput.get(0) + ".permute([0, 3, 1, 2]) if " + channelsLast + " else " + perOutput.get(0))
                : let("torch.stack(" + list(perOutput) + ", -1).flatten(3, 4).permute([0, 3, 1, 2]) if "
                        + channelsLast + " else torch.stack(" + list(perOutput) + ", 2).flatten(1, 2)");
        return "None".equals(bias) ? y : let(y + ".add_(" + bias + ".reshape([-1, 1, 1]))");
    }

    /** An eval-mode BatchNorm over channels (running statistics). */
    public String batchNorm(BatchNorm bn, String x) {
        return let("torch.batch_norm(" + x + ", " + constant(bn.getParameters().get("gamma")) + ", "
                + constant(bn.getParameters().get("beta")) + ", " + constant(bn.getParameters().get("runningMean"))
                + ", " + constant(bn.getParameters().get("runningVar")) + ", False, 0.1, "
                + Layers.epsilon(bn) + ", True)");
    }

    /** A TorchScript int list, e.g. {@code [1, 1]}. */
    public static String ints(Shape shape) {
        return ints(shape.getShape());
    }

    /** A TorchScript int list, e.g. {@code [1, 1]}. */
    public static String ints(long... values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(values[i]);
        }
        return sb.append(']').toString();
    }

    /** A TorchScript list of tensors, e.g. {@code [v1, v2]}. */
    public static String list(List<String> variables) {
        return variables.stream().collect(Collectors.joining(", ", "[", "]"));
    }

    /** The forward body (ends with its return statement once {@link #returns} was called). */
    String body() {
        return body.toString();
    }

    /** Ends the body: returns {@code variable}. */
    void returns(String variable) {
        statement("return " + variable);
    }

    /** The constants, in the order of their names. */
    List<NDArray> constants() {
        return constants;
    }

    /** Forgets the constants (the compiled module holds copies) and frees those made for the script alone. */
    void releaseConstants() {
        constants.clear();
        constantNames.clear();
        owned.forEach(NDArray::close);
        owned.clear();
    }
}
