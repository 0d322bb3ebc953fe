package io.convzoo.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.BatchNorm;
import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void namedSequentialKeepsNamesAndCountsOnlyLearnableParameters() {
        NamedSequential seq = new NamedSequential()
                .add("conv1", Layers.conv3x3(8, 1, 1))
                .add("bn1", Layers.batchNorm())
                .add("relu", Layers.relu());
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(seq, m, new Shape(2, 4, 6, 6));
            // conv 8*4*9 = 288, bn gamma+beta 16; running statistics are buffers
            assertEquals(304, Layers.countParameters(seq));
            assertEquals("01conv1_weight", seq.getParameters().get(0).getKey());
            assertEquals(new Shape(2, 8, 6, 6), seq.getOutputShapes(new Shape[] {new Shape(2, 4, 6, 6)})[0]);
        }
    }

    @Test
    void zeroGammaBatchNormStartsAtZero() {
        BatchNorm bn = Layers.zeroGammaBatchNorm();
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(bn, m, new Shape(1, 3, 2, 2));
            assertEquals(0f, bn.getParameters().get("gamma").getArray().abs().sum().getFloat());
        }
    }

    @Test
    void convBnTrains() {
        NamedSequential seq = new NamedSequential()
                .add("conv1", Layers.conv(6, 3, 1, 1, 1, 1, true))
                .add("bn1", Layers.batchNorm());
        TestSupport.assertTrains(seq, new Shape(4, 3, 5, 5), 5, 0.1f);
    }
}
