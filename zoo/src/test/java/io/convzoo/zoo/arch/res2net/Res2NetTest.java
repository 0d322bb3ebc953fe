package io.convzoo.zoo.arch.res2net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The variant table, forward shapes at the default input sizes, and the ModelArgs knobs. */
class Res2NetTest {

    private static ModelSpec spec(String id) {
        return Res2Nets.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void variantTableHasOneLinePerVariantWithItsProperties() {
        assertEquals(List.of("res2net50_26w_4s", "res2net50_26w_6s", "res2net50_26w_8s", "res2net50_48w_2s",
                "res2net50_14w_8s", "res2net101_26w_4s", "res2next50", "res2net50_v1b", "res2net101_v1b",
                "res2net152_v1b_26w_4s", "res2net_small"), Res2Nets.VARIANTS.stream().map(ModelSpec::id).toList());
        for (ModelSpec s : Res2Nets.VARIANTS) {
            assertEquals("res2net", s.family(), s.id());
            assertEquals("res2net", s.properties().get("family"), s.id());
            for (String key : List.of("depth", "width", "scales", "version", "dataset")) {
                assertTrue(s.properties().containsKey(key), s.id() + " lacks " + key);
            }
        }
        assertEquals(Map.of("family", "res2net", "depth", "50", "width", "14", "scales", "8", "version", "v1",
                "dataset", "imagenet"), spec("res2net50_14w_8s").properties());
        assertEquals(Map.of("family", "res2net", "depth", "50", "width", "4", "scales", "4", "version", "v1",
                "cardinality", "8", "dataset", "imagenet"), spec("res2next50").properties());
        assertEquals(Map.of("family", "res2net", "depth", "152", "width", "26", "scales", "4", "version", "v1b",
                "dataset", "imagenet"), spec("res2net152_v1b_26w_4s").properties());
        assertEquals(Map.of("family", "res2net", "depth", "26", "width", "26", "scales", "4", "version", "v1",
                "dataset", "fashion-mnist"), spec("res2net_small").properties());

        ModelSpec imagenet = spec("res2net101_26w_4s");
        assertEquals(224, imagenet.inputSize());
        assertEquals(1000, imagenet.defaults().numClasses());
        assertEquals(3, imagenet.defaults().inputChannels());
        ModelSpec small = spec("res2net_small");
        assertEquals(28, small.inputSize());
        assertEquals(10, small.defaults().numClasses());
        assertEquals(1, small.defaults().inputChannels());
    }

    @Test
    void res2net50V1bForwardAt224() {
        Block net = spec("res2net50_v1b").build();
        try (NDManager m = NDManager.newBaseManager()) {
            Shape input = new Shape(1, 3, 224, 224);
            TestSupport.init(net, m, input);
            NDArray out = TestSupport.infer(net, m, TestSupport.random(m, input, 1)).head();
            assertEquals(new Shape(1, 1000), out.getShape());
            assertFalse(out.isNaN().any().getBoolean(), "NaN in the logits");
        }
    }

    @Test
    void smallForwardAt28AndItsStageShapes() {
        Block net = spec("res2net_small").build();
        try (NDManager m = NDManager.newBaseManager()) {
            Shape input = new Shape(2, 1, 28, 28);
            TestSupport.init(net, m, input);
            assertEquals(new Shape(2, 10), TestSupport.infer(net, m, TestSupport.random(m, input, 2)).head().getShape());
            // Stem keeps 28x28; layer1 stride 1, then 28 -> 14 -> 7 -> 4.
            Map<String, Shape> layerOutputs = new java.util.LinkedHashMap<>();
            ((io.convzoo.blocks.DataflowBlock) net).traceChildren(new Shape[] {input},
                    (name, child, shapes) -> layerOutputs.put(name, child.getOutputShapes(shapes)[0]));
            assertEquals(new Shape(2, 32, 28, 28), layerOutputs.get("relu"));
            assertEquals(new Shape(2, 64, 28, 28), layerOutputs.get("layer1"));
            assertEquals(new Shape(2, 128, 14, 14), layerOutputs.get("layer2"));
            assertEquals(new Shape(2, 256, 7, 7), layerOutputs.get("layer3"));
            assertEquals(new Shape(2, 512, 4, 4), layerOutputs.get("layer4"));
        }
    }

    @Test
    void numClassesAndInputChannelsReshapeStemAndHead() {
        ModelArgs args = ModelArgs.fromMap(Map.of("numClasses", 7, "inputChannels", "3"), spec("res2net_small").defaults());
        Block net = spec("res2net_small").build(args);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape input = new Shape(1, 3, 28, 28);
            TestSupport.init(net, m, input);
            assertEquals(new Shape(1, 7), TestSupport.infer(net, m, TestSupport.random(m, input, 3)).head().getShape());
            Map<String, Parameter> params = OfficialNames.of(net);
            assertEquals(new Shape(32, 3, 3, 3), params.get("conv1.weight").getArray().getShape());
            assertEquals(new Shape(7, 512), params.get("fc.weight").getArray().getShape());
            // 876,220 at 1 channel / 10 classes: +2 input channels of the 3x3 stem, -3 classes of 512+1.
            assertEquals(876_220L + 2 * 32 * 9 - 3 * 513, Layers.countParameters(net));
        }
        // ImageNet model at 1 channel and 10 classes: the 7x7 stem loses 2 * 64 * 49, fc 990 * 2049.
        Block gray = spec("res2net50_26w_4s").build(ModelArgs.imagenet().withInputChannels(1).withNumClasses(10));
        assertEquals(25_699_120L - 2 * 64 * 49 - 990 * 2049, Res2NetCountsTest.countParameters(gray, 1));
    }

    @Test
    void zeroInitLastBnZeroesEveryBn3AndNothingElse() {
        ModelSpec small = spec("res2net_small");
        Block net = small.build(ModelArgs.fromMap(Map.of("zeroInitLastBn", true), small.defaults()));
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(net, m, new Shape(1, 1, 28, 28));
            int bn3 = 0;
            for (Map.Entry<String, Parameter> e : OfficialNames.of(net).entrySet()) {
                if (!e.getKey().endsWith(".weight") || e.getValue().getArray().getShape().dimension() != 1) {
                    continue; // BatchNorm gammas only
                }
                float sum = e.getValue().getArray().sum().getFloat();
                if (e.getKey().endsWith("bn3.weight")) {
                    assertEquals(0f, sum, e.getKey());
                    bn3++;
                } else {
                    assertEquals(e.getValue().getArray().size(), sum, 1e-3, e.getKey() + " should start at 1");
                }
            }
            assertEquals(8, bn3);
        }
    }

    @Test
    void smallModelTrains() {
        // 16x16 keeps the check quick; every layer still runs (layer4 at 2x2).
        TestSupport.assertTrains(spec("res2net_small").build(), new Shape(2, 1, 16, 16), 3, 0.05f);
    }
}
