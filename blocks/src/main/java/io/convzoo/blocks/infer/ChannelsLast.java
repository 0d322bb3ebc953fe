package io.convzoo.blocks.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Channels-last (NHWC in memory, NCHW in shape) inputs for batched CPU inference. libtorch's convs,
 * pools and element-wise ops keep an input's memory format, so converting the network's input once
 * makes the whole forward run channels-last. Measured on this project's 2-core CPU, eval forwards with
 * 2 threads, each ratio channels-last / NCHW in alternating rounds: ResNet-50 1.15 at batch 1, 0.97
 * at batch 4, 0.83 at batch 8; PyConvResNet-50 1.13 at batch 1, 0.79 at batch 8; Res2Net-50 0.86 at
 * batch 8 (docs/benchmarks.md). Hence {@link #pays}: batches of 8 or more, on CPU. The values are the
 * same; only the summation order inside oneDNN's kernels changes (logits within ~1e-6 relative).
 */
public final class ChannelsLast {

    /** Smallest batch for which channels-last was faster. */
    public static final long MIN_BATCH = 8;

    private ChannelsLast() {}

    /** Whether an eval forward of {@code x} is expected to be faster with a channels-last copy of it. */
    public static boolean pays(NDArray x) {
        Shape s = x.getShape();
        return s.dimension() == 4 && s.get(0) >= MIN_BATCH && s.get(1) > 1
                && Device.Type.CPU.equals(x.getDevice().getDeviceType());
    }

    /**
     * A copy of 4-D {@code x} laid out channels-last, same shape and values. DJL has no memory-format
     * argument, so the copy is made as a contiguous (N, H, W·C) array (W and C cannot be merged in
     * NCHW memory, which forces the copy) and viewed back as (N, C, H, W).
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
