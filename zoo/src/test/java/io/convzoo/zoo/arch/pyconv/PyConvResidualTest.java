package io.convzoo.zoo.arch.pyconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.OfficialNames;
import java.util.List;
import org.junit.jupiter.api.Test;

class PyConvResidualTest {

    private static PyConvResidual bottleneck(int in, int stride) {
        return new PyConvResidual(PyConvResidual.Kind.BOTTLENECK, in, 8, 2, stride, new int[] {3, 5}, new int[] {1, 4},
                false);
    }

    @Test
    void bottleneckWithStrideAndChannelChangeUsesPoolConvBnShortcut() {
        PyConvResidual block = bottleneck(4, 2);
        Shape in = new Shape(2, 4, 7, 7);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(block, m, in);
            assertEquals(new Shape(2, 16, 4, 4), TestSupport.infer(block, m, TestSupport.random(m, in, 1)).head().getShape());
            // conv1 4*8, bn1 16, PyConv2(8): 4*8*9 + 4*2*25 = 488, bn2 16, conv3 8*16, bn3 32, shortcut conv 4*16 + bn 32
            assertEquals(32 + 16 + 488 + 16 + 128 + 32 + 64 + 32, Layers.countParameters(block));
            assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                    "conv2.conv2_1.weight", "conv2.conv2_2.weight"),
                    List.copyOf(OfficialNames.of(block).keySet()).subList(0, 7));
            assertTrue(OfficialNames.of(block).containsKey("downsample.1.weight"));
            assertTrue(OfficialNames.of(block).containsKey("downsample.2.running_var"));
        }
    }

    @Test
    void shortcutFollowsTheOfficialMakeLayerCases() {
        Block both = PyConvResidual.officialDownsample(4, 8, 2);
        assertEquals(3, ((NamedSequential) both).size());
        Block channelsOnly = PyConvResidual.officialDownsample(4, 8, 1);
        assertEquals(2, ((NamedSequential) channelsOnly).size());
        Block strideOnly = PyConvResidual.officialDownsample(8, 8, 2);
        assertTrue(strideOnly.getParameters().isEmpty());
        assertNull(PyConvResidual.officialDownsample(8, 8, 1));
    }

    @Test
    void wrongChannelsNameTheBlockAndTheExpectedShape() {
        PyConvResidual block = bottleneck(4, 2);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(block, m, new Shape(1, 4, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(block, m, m.zeros(new Shape(1, 6, 8, 8))));
            assertTrue(e.getMessage().contains("PyConvResidual") && e.getMessage().contains("C=4"), e.getMessage());
        }
    }

    @Test
    void bottleneckTrains() {
        TestSupport.assertTrains(bottleneck(8, 2), new Shape(2, 8, 6, 6), 5, 0.05f);
    }

    @Test
    void basicBlockTrains() {
        PyConvResidual basic = new PyConvResidual(PyConvResidual.Kind.BASIC, 8, 8, 1, 2, new int[] {3, 5, 7},
                new int[] {1, 2, 4}, false);
        TestSupport.assertTrains(basic, new Shape(2, 8, 6, 6), 5, 0.05f);
    }
}
