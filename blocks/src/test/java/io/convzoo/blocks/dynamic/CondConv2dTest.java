package io.convzoo.blocks.dynamic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.XavierInitializer;
import io.convzoo.blocks.TestSupport;
import org.junit.jupiter.api.Test;

/** timm's flattened expert bank: its shape, and initializers applied per expert kernel (get_condconv_initializer). */
class CondConv2dTest {

    @Test
    void theBankIsFlattenedAndAWholeModelInitializerActsPerExpert() {
        Engine.getInstance().setRandomSeed(7);
        CondConv2d conv = new CondConv2d(8, 16, 3, 2, 1, 1, 1, 4, false);
        // The zoo's untrained initialization: Xavier, fan-out, magnitude 2, on every weight.
        conv.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        try (NDManager manager = NDManager.newBaseManager()) {
            TestSupport.init(conv, manager, new Shape(2, 8, 7, 7), new Shape(2, 4));
            NDArray bank = conv.getParameters().get("weight").getArray();
            assertEquals(new Shape(4, 16 * 8 * 3 * 3), bank.getShape());
            assertEquals(new Shape(2, 16, 4, 4), conv.getOutputShapes(new Shape[] {new Shape(2, 8, 7, 7),
                    new Shape(2, 4)})[0]);
            // Per expert (16, 8, 3, 3): std sqrt(2 / (16 · 9)) = 0.118; over the flat (4, 1152) it would be sqrt(2 / 4).
            for (int k = 0; k < 4; k++) {
                double std = std(bank.get(k).toFloatArray());
                assertTrue(Math.abs(std - Math.sqrt(2.0 / 144)) < 0.1 * Math.sqrt(2.0 / 144), "expert " + k + ": " + std);
            }
        }
    }

    private static double std(float[] v) {
        double mean = 0;
        for (float f : v) {
            mean += f;
        }
        mean /= v.length;
        double var = 0;
        for (float f : v) {
            var += (f - mean) * (f - mean);
        }
        return Math.sqrt(var / v.length);
    }
}
