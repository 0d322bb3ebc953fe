package io.convzoo.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Input validation shared by every block: a bad input is reported as an
 * {@link IllegalArgumentException} that names the block and the shape it expected, before it can
 * reach the native engine.
 */
public final class Checks {

    private Checks() {}

    /** Requires an NCHW array, and when {@code channels > 0} exactly that many channels. */
    public static void requireNchw(String block, NDArray x, long channels) {
        requireNchw(block, x.getShape(), channels);
    }

    /** Shape form of {@link #requireNchw(String, NDArray, long)}, used in shape inference too. */
    public static void requireNchw(String block, Shape shape, long channels) {
        String expected = "(N, " + (channels > 0 ? "C=" + channels : "C") + ", H, W)";
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException(block + ": expected an input of shape " + expected
                    + " (rank 4), got " + shape + " (rank " + shape.dimension() + ")");
        }
        if (channels > 0 && shape.get(1) != channels) {
            throw new IllegalArgumentException(block + ": expected an input of shape " + expected
                    + ", got " + shape + " with " + shape.get(1) + " channels");
        }
    }

    /**
     * Requires exactly one input, an NCHW array with {@code channels} channels when {@code channels > 0},
     * where {@code ops} knows shapes.
     */
    public static <T> void requireOneNchw(Ops<T> ops, List<T> inputs, String block, long channels) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(block + ": expected one input of shape (N, "
                    + (channels > 0 ? "C=" + channels : "C") + ", H, W), got " + inputs.size() + " inputs");
        }
        ops.require(inputs.get(0), s -> requireNchw(block, s, channels));
    }

    /** Requires {@code value} to be divisible by {@code divisor}; used for channels vs groups. */
    public static void requireDivisible(String block, String what, long value, String byWhat, long divisor) {
        if (divisor < 1 || value % divisor != 0) {
            throw new IllegalArgumentException(block + ": " + what + "=" + value
                    + " is not divisible by " + byWhat + "=" + divisor);
        }
    }

    /** Generic argument check with the block's name in front of the message. */
    public static void require(boolean condition, String block, String message) {
        if (!condition) {
            throw new IllegalArgumentException(block + ": " + message);
        }
    }
}
