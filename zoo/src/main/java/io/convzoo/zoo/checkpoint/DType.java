package io.convzoo.zoo.checkpoint;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** Element types a checkpoint tensor may have, with their size and PyTorch storage class name. */
public enum DType {
    FLOAT32(4, "FloatStorage", DataType.FLOAT32),
    FLOAT64(8, "DoubleStorage", DataType.FLOAT64),
    FLOAT16(2, "HalfStorage", DataType.FLOAT16),
    BFLOAT16(2, "BFloat16Storage", DataType.BFLOAT16),
    INT64(8, "LongStorage", DataType.INT64),
    INT32(4, "IntStorage", DataType.INT32),
    INT16(2, "ShortStorage", DataType.INT16),
    INT8(1, "CharStorage", DataType.INT8),
    UINT8(1, "ByteStorage", DataType.UINT8),
    BOOL(1, "BoolStorage", DataType.BOOLEAN);

    private final int size;
    private final String storageName;
    private final DataType djl;

    DType(int size, String storageName, DataType djl) {
        this.size = size;
        this.storageName = storageName;
        this.djl = djl;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for float16/bfloat16/float32/float64. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
    }

    /** The DJL data type of the same name. */
    public DataType djl() {
        return djl;
    }

    /** The dtype of a PyTorch storage class such as {@code FloatStorage}, or null. */
    public static DType ofStorage(String storageClass) {
        for (DType t : values()) {
            if (t.storageName.equals(storageClass)) {
                return t;
            }
        }
        return null;
    }

    /** The dtype of a safetensors name (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL), or null. */
    public static DType ofSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }

    /** The dtype of a DJL data type, or null. */
    public static DType of(DataType type) {
        for (DType t : values()) {
            if (t.djl == type) {
                return t;
            }
        }
        return null;
    }

    /** The safetensors name of this dtype (F32, BF16, I64, BOOL, ...). */
    public String safetensorsName() {
        return switch (this) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT16 -> "I16";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOL -> "BOOL";
        };
    }

    /** The dtype of a numpy type code without byte order (f4, f8, f2, i8, i4, i2, i1, u1, b1), or null. */
    public static DType ofNumpy(String code) {
        return switch (code) {
            case "f4" -> FLOAT32;
            case "f8" -> FLOAT64;
            case "f2" -> FLOAT16;
            case "i8" -> INT64;
            case "i4" -> INT32;
            case "i2" -> INT16;
            case "i1" -> INT8;
            case "u1" -> UINT8;
            case "b1" -> BOOL;
            default -> null;
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
