package io.convzoo.zoo.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a checkpoint: dtype, shape and a strided view into storage bytes read from the
 * file. Several tensors may view one storage (PyTorch's shared storages); {@link #toFloatArray()}
 * materializes the view in row-major order, whatever its offset and strides. Every view is checked
 * against the bytes actually present when it is created, so materializing never reads out of range.
 */
public final class TensorData {

    /** Largest element count accepted for one tensor (1 GiB of float32). */
    public static final long MAX_ELEMENTS = 1L << 28;
    /** Largest rank accepted. */
    public static final int MAX_RANK = 32;

    private final DType dtype;
    private final long[] shape;
    private final long[] stride;
    private final long offset;
    private final ByteBuffer storage;
    private final long numel;

    private TensorData(DType dtype, long[] shape, long[] stride, long offset, ByteBuffer storage, long numel) {
        this.dtype = dtype;
        this.shape = shape;
        this.stride = stride;
        this.offset = offset;
        this.storage = storage;
        this.numel = numel;
    }

    /**
     * A view of {@code storage} (whose elements start at its position 0), validated: non-negative
     * sizes, strides and offset, rank and element count within limits, and every addressed element
     * inside the storage.
     *
     * @param what names the tensor in error messages (file and key)
     */
    public static TensorData view(String what, DType dtype, long[] shape, long[] stride, long offset,
                                  ByteBuffer storage) throws CorruptCheckpointException {
        if (shape.length != stride.length) {
            throw new CorruptCheckpointException(what + ": size has " + shape.length + " dims but stride has "
                    + stride.length);
        }
        if (shape.length > MAX_RANK) {
            throw new CorruptCheckpointException(what + ": rank " + shape.length + " exceeds " + MAX_RANK);
        }
        if (offset < 0) {
            throw new CorruptCheckpointException(what + ": negative storage offset " + offset);
        }
        long numel = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0 || stride[d] < 0) {
                throw new CorruptCheckpointException(what + ": negative size or stride in size "
                        + Arrays.toString(shape) + " stride " + Arrays.toString(stride));
            }
            if (shape[d] > 0 && numel > MAX_ELEMENTS / shape[d]) {
                throw new CorruptCheckpointException(what + ": shape " + Arrays.toString(shape)
                        + " has more than " + MAX_ELEMENTS + " elements");
            }
            numel *= shape[d];
        }
        if (numel > MAX_ELEMENTS) {
            throw new CorruptCheckpointException(what + ": shape " + Arrays.toString(shape)
                    + " has more than " + MAX_ELEMENTS + " elements");
        }
        long available = storage.remaining() / dtype.size();
        if (numel > 0) {
            // Last element addressed: offset + sum (size-1)*stride, computed without overflow.
            long last = offset;
            for (int d = 0; d < shape.length; d++) {
                long step;
                try {
                    step = Math.multiplyExact(shape[d] - 1, stride[d]);
                    last = Math.addExact(last, step);
                } catch (ArithmeticException e) {
                    last = Long.MAX_VALUE;
                    break;
                }
            }
            if (last >= available) {
                throw new CorruptCheckpointException(what + ": view (offset " + offset + ", size "
                        + Arrays.toString(shape) + ", stride " + Arrays.toString(stride) + ") reaches element "
                        + last + " but its " + dtype + " storage holds " + available + " elements");
            }
        }
        ByteBuffer bytes = storage.slice().order(storage.order());
        return new TensorData(dtype, shape.clone(), stride.clone(), offset, bytes, numel);
    }

    /** A contiguous tensor over {@code storage}. */
    public static TensorData contiguous(String what, DType dtype, long[] shape, ByteBuffer storage)
            throws CorruptCheckpointException {
        return view(what, dtype, shape, contiguousStrides(shape), 0, storage);
    }

    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s = shape[d] == 0 ? s : s * shape[d];
        }
        return stride;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** The shape as a DJL Shape. */
    public Shape djlShape() {
        return new Shape(shape);
    }

    /** Number of elements. */
    public long numel() {
        return numel;
    }

    /** True when the view is row-major contiguous from its offset. */
    public boolean isContiguous() {
        return Arrays.equals(stride, contiguousStrides(shape));
    }

    /** Element positions (in storage elements) in row-major order of the view. */
    private long[] positions() {
        long[] pos = new long[(int) numel];
        if (numel == 0) {
            return pos;
        }
        int rank = shape.length;
        long[] index = new long[rank];
        long current = offset;
        for (int i = 0; i < pos.length; i++) {
            pos[i] = current;
            // Odometer step over the multi-index, updating the storage position incrementally.
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                current += stride[d];
                if (index[d] < shape[d]) {
                    break;
                }
                current -= stride[d] * index[d];
                index[d] = 0;
            }
        }
        return pos;
    }

    /** The values converted to float32 (float16/bfloat16/float64/integers alike), row-major. */
    public float[] toFloatArray() {
        long[] pos = positions();
        float[] out = new float[pos.length];
        for (int i = 0; i < pos.length; i++) {
            out[i] = floatAt(pos[i]);
        }
        return out;
    }

    /** The values as longs (integer and boolean tensors exactly; floats truncated), row-major. */
    public long[] toLongArray() {
        long[] pos = positions();
        long[] out = new long[pos.length];
        for (int i = 0; i < pos.length; i++) {
            out[i] = longAt(pos[i]);
        }
        return out;
    }

    private float floatAt(long element) {
        int at = Math.toIntExact(element * dtype.size());
        return switch (dtype) {
            case FLOAT32 -> storage.getFloat(at);
            case FLOAT64 -> (float) storage.getDouble(at);
            case FLOAT16 -> halfToFloat(storage.getShort(at));
            case BFLOAT16 -> Float.intBitsToFloat((storage.getShort(at) & 0xffff) << 16);
            default -> longAt(element);
        };
    }

    private long longAt(long element) {
        int at = Math.toIntExact(element * dtype.size());
        return switch (dtype) {
            case INT64 -> storage.getLong(at);
            case INT32 -> storage.getInt(at);
            case INT16 -> storage.getShort(at);
            case INT8 -> storage.get(at);
            case UINT8, BOOL -> storage.get(at) & 0xff;
            default -> (long) floatAt(element);
        };
    }

    /** IEEE 754 half precision bits to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24.
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * The tensor as an NDArray of {@code manager}: floating types become float32 (as parameters
     * are), integer types keep int64/int32, others are widened to int64.
     */
    public NDArray toNDArray(NDManager manager) {
        if (dtype.isFloatingPoint()) {
            return manager.create(toFloatArray(), djlShape());
        }
        if (dtype == DType.INT32) {
            long[] v = toLongArray();
            int[] ints = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                ints[i] = (int) v[i];
            }
            return manager.create(ints, djlShape());
        }
        return manager.create(toLongArray(), djlShape());
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }

    /** A little-endian copy of raw bytes, for readers that build storages. */
    static ByteBuffer wrap(byte[] bytes, ByteOrder order) {
        return ByteBuffer.wrap(bytes).order(order);
    }
}
