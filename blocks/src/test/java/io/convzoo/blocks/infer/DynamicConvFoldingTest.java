package io.convzoo.blocks.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A dynamic conv WITH a bias bank, folded with its BatchNorm: the folded path mixes the scaled bias
 * bank and adds the shift, and at batch 1 it skips the batch folding; a 1×1 one runs as a batched
 * matmul. The zoo's DY-ResNets (no conv bias) do not reach that combination.
 */
class DynamicConvFoldingTest {

    @ParameterizedTest(name = "batch {0}, T = {1}, {2}x{2} stride {3}")
    @CsvSource({"1, 34, 3, 1", "1, 1, 3, 1", "3, 34, 3, 1", "3, 1, 3, 1", "3, 34, 1, 2", "1, 1, 1, 1"})
    void foldedWithBiasBankMatchesConvThenBatchNorm(int batch, float temperature, int kernel, int stride) {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            DynamicConv2d conv = DynamicConv2d.builder().setInChannels(4).setOutChannels(6).setKernelSize(kernel)
                    .optStride(stride).optPadding(kernel / 2).optBias(true).build();
            NamedSequential pair = new NamedSequential().add("conv", conv).add("bn", BatchNorm.builder().build());
            Shape in = new Shape(batch, 4, 5, 5);
            TestSupport.init(pair, m, in);
            conv.setTemperature(temperature);
            long seed = 3;
            for (var p : pair.getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = TestSupport.randomFloats((int) a.size(), seed++);
                Parameter.Type type = p.getValue().getType();
                for (int i = 0; i < v.length; i++) {
                    v[i] = type == Parameter.Type.RUNNING_VAR || type == Parameter.Type.GAMMA ? 0.5f + Math.abs(v[i]) : v[i];
                }
                a.set(v);
            }
            NDArray x = TestSupport.random(m, in, 7);
            float[] plain = TestSupport.infer(pair, m, x).head().toFloatArray();
            try {
                assertEquals(1, ConvBn.enableFolding(pair));
                float[] folded = TestSupport.infer(pair, m, x).head().toFloatArray();
                assertEquals(1, ConvBn.foldedCount(pair), "the pair ran folded");
                int side = (5 - 1) / stride + 1;
                assertEquals(batch * 6 * side * side, folded.length);
                TestSupport.assertClose(plain, folded, 1e-4);
                double largest = 0;
                for (float f : plain) {
                    largest = Math.max(largest, Math.abs(f));
                }
                assertTrue(largest > 0.5, "outputs large enough for a 1e-4 check to mean something: " + largest);
            } finally {
                ConvBn.disableFolding(pair);
            }
        }
    }
}
