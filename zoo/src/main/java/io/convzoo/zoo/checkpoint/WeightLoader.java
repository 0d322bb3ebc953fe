package io.convzoo.zoo.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.zoo.OfficialNames;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Copies a checkpoint's tensors into an initialized block's parameters, matched by official
 * PyTorch names ({@link OfficialNames#of}). BatchNorm's {@code num_batches_tracked} is ignored.
 * Strict by default, like PyTorch's {@code load_state_dict}: missing keys, unexpected keys and
 * shape mismatches are all reported together in one {@link WeightMappingException}, and nothing
 * is copied unless everything fits. Non-strict loading tolerates missing and unexpected keys (not
 * shape mismatches) and reports them in the result.
 */
public final class WeightLoader {

    /** What a load did. */
    public record Result(int loaded, List<String> missing, List<String> unexpected) {}

    private WeightLoader() {}

    /** Strict load with official names. */
    public static Result load(Block block, StateDict sd) {
        return load(block, sd, true, UnaryOperator.identity());
    }

    public static Result load(Block block, StateDict sd, boolean strict) {
        return load(block, sd, strict, UnaryOperator.identity());
    }

    /**
     * @param rename maps a checkpoint key to the block's official key (a family whose block names
     *     cannot equal the official ones); returning null drops the key
     */
    public static Result load(Block block, StateDict sd, boolean strict, UnaryOperator<String> rename) {
        Map<String, Parameter> expected = OfficialNames.of(block);
        Map<String, TensorData> given = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : sd.tensors().entrySet()) {
            String key = rename.apply(e.getKey());
            if (key != null && !isIgnored(key)) {
                given.put(key, e.getValue());
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        Map<Parameter, TensorData> matched = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : expected.entrySet()) {
            Parameter p = e.getValue();
            if (!p.isInitialized()) {
                throw new IllegalStateException("initialize " + blockName(block) + " before loading weights: "
                        + e.getKey() + " has no array yet");
            }
            Shape shape = p.getArray().getShape();
            TensorData t = given.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey() + " " + shape);
            } else if (!t.djlShape().equals(shape)) {
                mismatched.add(e.getKey() + ": checkpoint " + t.djlShape() + ", block " + shape);
            } else if (!t.dtype().isFloatingPoint() && p.getArray().getDataType().isFloating()) {
                mismatched.add(e.getKey() + ": checkpoint holds " + t.dtype() + ", block expects floats");
            } else {
                matched.put(p, t);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : given.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                unexpected.add(e.getKey() + " " + e.getValue().djlShape());
            }
        }
        if (!mismatched.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new WeightMappingException(sd.source(), blockName(block), missing, unexpected, mismatched);
        }
        for (Map.Entry<Parameter, TensorData> e : matched.entrySet()) {
            copy(e.getValue(), e.getKey().getArray());
        }
        // Values were written in place: folded conv+BN copies of a prepared model must be remade.
        ConvBn.refresh(block);
        return new Result(matched.size(), List.copyOf(missing), List.copyOf(unexpected));
    }

    /** True for checkpoint entries that are no weights of a DJL block (BatchNorm's step counter). */
    public static boolean isIgnored(String key) {
        return key.equals("num_batches_tracked") || key.endsWith(".num_batches_tracked");
    }

    /** Writes the values into the parameter's own array (same device, same dtype). */
    private static void copy(TensorData source, NDArray target) {
        float[] values = source.toFloatArray();
        if (target.getDataType() == DataType.FLOAT32) {
            target.set(FloatBuffer.wrap(values));
            return;
        }
        try (NDManager scratch = target.getManager().newSubManager()) {
            NDArray converted = scratch.create(values, target.getShape()).toType(target.getDataType(), false);
            target.set(converted.toByteBuffer());
        }
    }

    private static String blockName(Block block) {
        return block.getClass().getSimpleName();
    }
}
