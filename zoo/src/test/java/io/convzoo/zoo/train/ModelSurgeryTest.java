package io.convzoo.zoo.train;

import io.convzoo.blocks.TemperatureAnnealed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.TestSupport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Head and input-conv replacement, weight transfer, temperature schedule. */
class ModelSurgeryTest {

    @Test
    void newHeadHasTheRightOutputAndKeepsTheBackbone() {
        try (Model model = TinyNets.tinyModel(1, 10, null)) {
            Map<String, float[]> before = TinyNets.snapshot(model.getBlock());
            ModelSurgery.replaceHead(model.getBlock(), "fc", 3, model.getNDManager());
            NDArray x = TestSupport.random(model.getNDManager(), new Shape(2, 1, 28, 28), 1);
            assertEquals(new Shape(2, 3), TinyNets.forward(model.getBlock(), x).head().getShape());
            Map<String, float[]> after = TinyNets.snapshot(model.getBlock());
            for (var e : before.entrySet()) {
                if (e.getKey().contains("fc")) {
                    continue;
                }
                assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " changed");
            }
            assertEquals(new Shape(3, 64), model.getBlock().getParameters().get("07fc_weight").getArray().getShape());
            List<Parameter> head = ModelSurgery.parametersOf(model.getBlock(), "fc");
            assertEquals(2, head.size());
            assertEquals(after.size() - 2, ModelSurgery.parametersOutside(model.getBlock(), "fc").size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelSurgery.replaceHead(model.getBlock(), "head", 3, model.getNDManager()));
            assertTrue(e.getMessage().contains("no child 'head'") && e.getMessage().contains("fc"), e.getMessage());
        }
    }

    @Test
    void grayscaleConvFromRgbGivesTheResponseToTheReplicatedImage() {
        try (Model rgb = TinyNets.tinyModel(3, 10, null)) {
            NDArray gray = TestSupport.random(rgb.getNDManager(), new Shape(2, 1, 28, 28), 2);
            NDArray replicated = gray.repeat(1, 3);
            float[] expected = TinyNets.forward(rgb.getBlock(), replicated).head().toFloatArray();
            ModelSurgery.replaceInputConv(rgb.getBlock(), "conv1", 1, rgb.getNDManager());
            assertEquals(new Shape(16, 1, 3, 3),
                    rgb.getBlock().getParameters().get("01conv1_weight").getArray().getShape());
            float[] actual = TinyNets.forward(rgb.getBlock(), gray).head().toFloatArray();
            TestSupport.assertClose(expected, actual, 1e-4);
        }
    }

    @Test
    void adaptInputKernelSumsOrTiles() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            NDArray w = m.arange(0f, 12f).reshape(2, 3, 1, 2);
            assertArrayEquals(new float[] {6, 9, 24, 27}, ModelSurgery.adaptInputKernel(w, 1).toFloatArray());
            // 2 channels from 3: kernels 0 and 1, scaled by 3/2
            assertArrayEquals(new float[] {0, 1.5f, 3, 4.5f, 9, 10.5f, 12, 13.5f},
                    ModelSurgery.adaptInputKernel(w, 2).toFloatArray());
            assertEquals(new Shape(2, 4, 1, 2), ModelSurgery.adaptInputKernel(w, 4).getShape());
        }
    }

    @Test
    void transferCopiesMatchingWeightsAdaptsTheStemAndKeepsTheNewHead() {
        try (Model source = TinyNets.tinyModel(3, 10, null); Model target = TinyNets.tinyModel(1, 4, null)) {
            float[] headBefore = target.getBlock().getParameters().get("07fc_weight").getArray().toFloatArray();
            ModelSurgery.TransferReport report = ModelSurgery.transferWeights(source.getBlock(), target.getBlock());
            assertEquals(List.of("01conv1_weight"), report.adapted());
            assertEquals(List.of("07fc_weight", "07fc_bias"), report.kept());
            assertTrue(report.copied().contains("05layer1_01conv1_weight"), report.copied().toString());
            assertArrayEquals(source.getBlock().getParameters().get("05layer1_01conv1_weight").getArray().toFloatArray(),
                    target.getBlock().getParameters().get("05layer1_01conv1_weight").getArray().toFloatArray());
            assertArrayEquals(headBefore, target.getBlock().getParameters().get("07fc_weight").getArray().toFloatArray());
            assertArrayEquals(source.getBlock().getParameters().get("01conv1_weight").getArray().sum(new int[] {1})
                    .toFloatArray(), target.getBlock().getParameters().get("01conv1_weight").getArray().toFloatArray(),
                    1e-6f);
        }
    }

    @Test
    void temperatureScheduleAndDiscovery() {
        assertEquals(30f, TemperatureAnnealed.linear(30, 1, 0, 10));
        assertEquals(15.5f, TemperatureAnnealed.linear(30, 1, 5, 10), 1e-5);
        assertEquals(1f, TemperatureAnnealed.linear(30, 1, 10, 10));
        assertEquals(1f, TemperatureAnnealed.linear(30, 1, 12, 10));
        assertEquals(1f, TemperatureAnnealed.linear(30, 1, 0, 0));
        TinyNets.TemperatureRecorder rec = new TinyNets.TemperatureRecorder();
        assertEquals(List.of(rec), TemperatureAnnealed.findAll(TinyNets.tinyNet(1, 10, rec)));
    }
}
