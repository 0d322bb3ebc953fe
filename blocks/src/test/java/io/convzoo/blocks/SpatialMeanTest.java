package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The spatial mean op (global average pool kept as (N, C, 1, 1)) against a naive sum. */
class SpatialMeanTest {

    @Test
    void meansEveryChannelMapIntoAnNc11Array() {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 2;
            int c = 3;
            int h = 5;
            int w = 7;
            NDArray x = TestSupport.random(m, new Shape(n, c, h, w), 11);
            float[] v = x.toFloatArray();
            float[] expected = new float[n * c];
            for (int i = 0; i < n * c; i++) {
                double sum = 0;
                for (int p = 0; p < h * w; p++) {
                    sum += v[i * h * w + p];
                }
                expected[i] = (float) (sum / (h * w));
            }
            DataflowBlock spatialMean = new DataflowBlock() {
                @Override
                protected <T> T forward(Ops<T> ops, T in) {
                    return ops.spatialMean(in);
                }
            };
            NDArray mean = TestSupport.infer(spatialMean, m, x).singletonOrThrow();
            assertEquals(new Shape(n, c, 1, 1), mean.getShape());
            TestSupport.assertClose(expected, mean.toFloatArray(), 1e-6);
        }
    }
}
