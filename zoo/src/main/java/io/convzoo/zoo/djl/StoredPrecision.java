package io.convzoo.zoo.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.lang.reflect.Field;

/**
 * Weights may be stored in float16 to halve their size (shipped weights must fit 5 MB); models
 * always compute in float32. DJL's {@code Parameter.load} keeps the stored data type and its
 * {@code setArray} refuses a second array, so the cast replaces the parameter's array field.
 */
public final class StoredPrecision {

    private static final Field ARRAY = arrayField();

    private StoredPrecision() {}

    /** Casts every parameter of {@code block} stored in another floating type to float32; returns how many. */
    public static int toFloat32(Block block) {
        return castAll(block, DataType.FLOAT32);
    }

    /** Casts every float32 parameter of {@code block} to float16 (before saving); returns how many. */
    public static int toFloat16(Block block) {
        return castAll(block, DataType.FLOAT16);
    }

    private static int castAll(Block block, DataType target) {
        int n = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (!parameter.isInitialized()) {
                continue;
            }
            NDArray array = parameter.getArray();
            DataType type = array.getDataType();
            if (type == target || !type.isFloating()) {
                continue;
            }
            NDArray cast = array.toType(target, false);
            cast.setName(array.getName());
            boolean trainable = array.hasGradient();
            try {
                ARRAY.set(parameter, cast);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot replace the array of parameter " + p.getKey(), e);
            }
            array.close();
            if (trainable) {
                cast.setRequiresGradient(true);
            }
            n++;
        }
        return n;
    }

    private static Field arrayField() {
        try {
            Field f = Parameter.class.getDeclaredField("array");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
