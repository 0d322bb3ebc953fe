package io.convzoo.blocks.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Channels-last (NHWC in memory, NCHW in shape) inputs for batched CPU inference. libtorch's convs,
 * pools and element-wise ops keep an input's memory format, so converting the network's input once
 * makes the whole forward run channels-last. It pays ({@link #pays}) for batches of 4 or more on CPU,
 * and is slower at batch 1–2 (measured per family in docs/benchmarks.md, "channels-last"). The values
 * are the same; only the summation order inside oneDNN's kernels changes.
 */
public final class ChannelsLast {

    /** Smallest batch for which channels-last was faster. */
    public static final long MIN_BATCH = 4;

    private ChannelsLast() {}

    /** Whether an eval forward of {@code x} is expected to be faster with a channels-last copy of it. */
    public static boolean pays(NDArray x) {
        Shape s = x.getShape();
        return s.dimension() == 4 && s.get(0) >= MIN_BATCH && s.get(1) > 1
                && Device.Type.CPU.equals(x.getDevice().getDeviceType());
    }

    /**
     * 4-D {@code x} laid out channels-last, same shape and values: a copy, unless W·C already lie
     * together in x's memory (W = 1 or C = 1), where x's own storage is viewed. DJL has no
     * memory-format argument, so the copy is made as a contiguous (N, H, W·C) array (W and C cannot be
     * merged in NCHW memory, which forces the copy) and viewed back as (N, C, H, W).
     */
    public static NDArray of(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        try (NDArray nhwcView = x.transpose(0, 2, 3, 1);
             NDArray nhwc = nhwcView.reshape(n, h, w * c);
             NDArray nhwc4 = nhwc.reshape(n, h, w, c)) {
            return nhwc4.transpose(0, 3, 1, 2);
        }
    }
}
