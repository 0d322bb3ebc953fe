package io.convzoo.blocks.dynamic;

import static io.convzoo.blocks.TestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.TestSupport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression: the attention's {@code z / T} once used DJL's {@code div(float)}, whose CPU scalar
 * tensor borrows a Java direct buffer that is freed after the temporary closes and a GC runs, while
 * autograd still reads it in the backward. Training then saw garbage gradients and NaN at random
 * steps. Here a GC and a flood of NaN-filled scalar-sized buffers run between forward and backward;
 * the gradients must equal those of an undisturbed pass.
 */
class AttentionGradientSurvivesGcTest {

    @Test
    void gradientsAreTheSameWhenTheHeapIsChurnedBeforeBackward() throws InterruptedException {
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d dc = DynamicConv2d.builder().setInChannels(8).setOutChannels(8).setKernelSize(3)
                    .optPadding(1).optBias(false).optKernels(4).build();
            Shape in = new Shape(4, 8, 6, 6);
            TestSupport.init(dc, m, in);
            dc.setTemperature(29.7f);
            NDArray x = TestSupport.random(m, in, 11);
            float[] undisturbed = attentionGradient(dc, m, x, false);
            float[] churned = attentionGradient(dc, m, x, true);
            for (float g : churned) {
                assertTrue(Float.isFinite(g), "non-finite attention gradient after a GC");
            }
            assertClose(undisturbed, churned, 1e-6);
        }
    }

    private static float[] attentionGradient(DynamicConv2d dc, NDManager m, NDArray x, boolean churn)
            throws InterruptedException {
        NDArray bias = dc.getParameters().stream().filter(p -> p.getKey().endsWith("fc2_bias")).findFirst()
                .orElseThrow().getValue().getArray();
        try (NDManager scope = m.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = dc.forward(new ParameterStore(scope, false), new NDList(x), true).head();
                NDArray loss = y.mul(y).sum();
                if (churn) {
                    churnHeap();
                }
                gc.backward(loss);
            }
            float[] grad = bias.getGradient().toFloatArray();
            bias.getGradient().subi(bias.getGradient());
            return grad;
        }
    }

    /** Frees unreachable direct buffers and reuses their memory for NaN-filled ones. */
    private static void churnHeap() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
        }
        List<ByteBuffer> keep = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            keep.add(b);
        }
        assertTrue(keep.size() == 20_000);
    }
}
