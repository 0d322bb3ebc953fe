package io.convzoo.zoo.arch.hetconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.hetconv.HetConv;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.OfficialNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HetConv networks' structure: which convs are HetConv, output shapes, the headless form, input checks. */
class HetConvNetsTest {

    @Test
    void vggKeepsTheFirstConvStandardAndMakesTheOtherTwelveHetConv() {
        HetVgg vgg = HetConvNets.vgg16(new ModelArgs(10, 3, false, Map.of()), 8);
        Block features = vgg.getChildren().get("01features");
        List<HetConv> het = features.getChildren().values().stream()
                .filter(HetConv.class::isInstance).map(HetConv.class::cast).toList();
        assertEquals(12, het.size());
        het.forEach(h -> assertEquals(8, h.getPart()));
        assertEquals(64, het.get(0).getInChannels());
        assertTrue(features.getChildren().values().get(0) instanceof ai.djl.nn.convolutional.Conv2d);
    }

    @Test
    void resnetBlocksUseHetConvForEvery3x3Only() {
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = HetConvNets.resnet50(ModelArgs.imagenet().withNumClasses(5), 16);
            TestSupport.init(net, m, new Shape(1, 3, 32, 32));
            List<String> keys = OfficialNames.of(net).keySet().stream().toList();
            assertTrue(keys.contains("layer2.0.conv2.weight3x3"), "the bottleneck's 3×3 is a HetConv");
            assertTrue(keys.contains("layer2.0.conv2.weight1x1"));
            assertTrue(keys.contains("layer2.0.conv1.weight"), "its 1×1 convs stay standard");
            assertTrue(keys.contains("layer2.0.downsample.0.weight"));
            assertTrue(keys.contains("conv1.weight"), "the stem stays standard");
            assertEquals(new Shape(2, 5), TestSupport.infer(net, m, TestSupport.random(m, new Shape(2, 3, 32, 32), 1))
                    .head().getShape());
        }
    }

    @Test
    void smallVariantClassifiesFashionMnistSizedImages() {
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = HetConvNets.SMALL.build();
            TestSupport.init(net, m, new Shape(1, 1, 28, 28));
            assertEquals(new Shape(3, 10), TestSupport.infer(net, m, TestSupport.random(m, new Shape(3, 1, 28, 28), 2))
                    .head().getShape());
        }
    }

    @Test
    void headlessVggReturnsThePooledFeatures() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, new Shape(2, 3, 32, 32), 3);
            HetVgg headless = HetConvNets.vgg16(new ModelArgs(0, 3, false, Map.of()), 4);
            TestSupport.init(headless, m, new Shape(1, 3, 32, 32));
            assertEquals(new Shape(2, 512), TestSupport.infer(headless, m, x).head().getShape());
            HetVgg vgg = HetConvNets.vgg16(new ModelArgs(10, 3, false, Map.of()), 4);
            TestSupport.init(vgg, m, new Shape(1, 3, 32, 32));
            assertEquals(new Shape(2, 10), TestSupport.infer(vgg, m, x).head().getShape());
            vgg.removeClassifier();
            assertEquals(new Shape(2, 512), TestSupport.infer(vgg, m, x).head().getShape());
        }
    }

    @Test
    void badInputNamesTheModel() {
        HetVgg vgg = HetConvNets.vgg16(new ModelArgs(10, 3, false, Map.of()), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vgg.getOutputShapes(new Shape[] {new Shape(1, 1, 32, 32)}));
        assertTrue(e.getMessage().contains("hetconv_vgg16_p4"), e.getMessage());
        assertTrue(e.getMessage().contains("C=3"), e.getMessage());
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> HetConvNets.resnet34(ModelArgs.imagenet(), 3));
        assertTrue(p.getMessage().contains("divisible"), p.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> HetConvNets.vgg16(
                new ModelArgs(10, 3, false, Map.of("featuresOnly", true)), 4));
        assertTrue(f.getMessage().contains("numClasses=0"), f.getMessage());
    }
}
