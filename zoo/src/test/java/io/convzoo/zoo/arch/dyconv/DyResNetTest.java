package io.convzoo.zoo.arch.dyconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.convzoo.zoo.summary.ModelSummary;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.dynamic.DynamicConv2d;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DY-ResNets against facts measured from the official code with
 * {@code /usr/bin/python3 tools/dyconv_official_dump.py --official <checkout>}: parameter counts,
 * state_dict keys and shapes (test resources written by that script), conv MACs.
 */
class DyResNetTest {

    /**
     * Official learnable parameters (sum of p.numel() over model.parameters()) and MACs for one image
     * at the default size: {params, all conv + linear, kernel mixing}, printed by the script above.
     */
    private static final Map<String, long[]> OFFICIAL = Map.ofEntries(
            Map.entry("dy_resnet18", new long[] {45_475_008L, 1_814_386_252L, 44_630_016L}),
            Map.entry("dy_resnet50", new long[] {100_895_176L, 4_094_185_680L, 93_782_016L}),
            Map.entry("dy_resnet_small", new long[] {1_234_770L, 13_025_772L, 1_222_656L}),
            Map.entry("dy_resnet34", new long[] {86_173_504L, 3_664_362_380L, 85_032_960L}),
            Map.entry("dy_resnet101", new long[] {181_773_152L, 7_811_472_796L, 169_541_632L}),
            Map.entry("dy_resnet152", new long[] {248_384_760L, 11_527_869_032L, 231_931_904L}),
            Map.entry("dy_resnext50_32x4d", new long[] {100_638_664L, 4_237_382_608L, 91_609_088L}),
            Map.entry("dy_wide_resnet50_2", new long[] {276_056_008L, 11_404_923_856L, 267_026_432L}),
            Map.entry("dy_vgg11", new long[] {62_198_976L, 7_510_783_416L, 36_870_912L}),
            Map.entry("dy_vgg11_bn", new long[] {62_204_480L, 7_510_783_416L, 36_870_912L}),
            Map.entry("dy_vgg13", new long[] {62_941_776L, 11_210_165_056L, 37_608_192L}),
            Map.entry("dy_vgg13_bn", new long[] {62_947_664L, 11_210_165_056L, 37_608_192L}),
            Map.entry("dy_vgg16", new long[] {84_325_480L, 15_372_113_228L, 58_841_856L}),
            Map.entry("dy_vgg16_bn", new long[] {84_333_928L, 15_372_113_228L, 58_841_856L}),
            Map.entry("dy_vgg19", new long[] {105_709_184L, 19_534_061_400L, 80_075_520L}),
            Map.entry("dy_vgg19_bn", new long[] {105_720_192L, 19_534_061_400L, 80_075_520L}));

    @BeforeEach
    void seedEngine() {
        // Parameter init draws from the engine's generator: seed it so every run sees the same weights.
        Engine.getInstance().setRandomSeed(1234);
    }

    @Test
    void variantTableDescribesTheFamily() {
        List<String> ids = DyResNets.VARIANTS.stream().map(ModelSpec::id).collect(Collectors.toList());
        assertEquals(List.of("dy_resnet18", "dy_resnet50", "dy_resnet_small", "dy_resnet34", "dy_resnet101",
                "dy_resnet152", "dy_resnext50_32x4d", "dy_wide_resnet50_2", "dy_vgg11", "dy_vgg11_bn", "dy_vgg13",
                "dy_vgg13_bn", "dy_vgg16", "dy_vgg16_bn", "dy_vgg19", "dy_vgg19_bn"), ids);
        assertEquals(new java.util.TreeSet<>(OFFICIAL.keySet()), new java.util.TreeSet<>(ids));
        for (ModelSpec spec : DyResNets.VARIANTS) {
            assertEquals("dyconv", spec.family());
            assertEquals("dyconv", spec.properties().get("family"));
            assertEquals("4", spec.properties().get("kernels"));
            if (!spec.id().equals("dy_resnet_small")) {
                assertEquals("imagenet", spec.properties().get("dataset"), spec.id());
                assertEquals(224, spec.inputSize(), spec.id());
                assertEquals(1000, spec.defaults().numClasses(), spec.id());
                assertEquals(spec.id().replaceAll("\\D+(\\d+).*", "$1"), spec.properties().get("depth"), spec.id());
            }
        }
        ModelSpec small = spec("dy_resnet_small");
        assertEquals("fashion-mnist", small.properties().get("dataset"));
        assertEquals("10", small.properties().get("depth"));
        assertEquals(28, small.inputSize());
        assertEquals(10, small.defaults().numClasses());
        assertEquals(1, small.defaults().inputChannels());
        assertEquals("resnext", spec("dy_resnext50_32x4d").properties().get("arch"));
        assertEquals("32", spec("dy_resnext50_32x4d").properties().get("cardinality"));
        assertEquals("128", spec("dy_wide_resnet50_2").properties().get("width"));
        assertEquals("vgg", spec("dy_vgg16_bn").properties().get("arch"));
        assertEquals("true", spec("dy_vgg16_bn").properties().get("batchNorm"));
        assertEquals("false", spec("dy_vgg16").properties().get("batchNorm"));
    }

    /**
     * Every variant at full size, by shapes only (the summary's zero-filled weights, no forward):
     * parameters, conv + linear MACs, kernel-mixing MACs and the state_dict keys with their shapes.
     */
    @Test
    void countsAndNamesEqualTheOfficialModels() throws IOException {
        for (ModelSpec spec : DyResNets.VARIANTS) {
            int size = spec.inputSize();
            Block model = spec.build();
            ModelSummary summary = ModelSummary.of(model, new Shape(1, spec.defaults().inputChannels(), size, size));
            long[] official = OFFICIAL.get(spec.id());
            assertEquals(official[0], summary.params(), spec.id() + " parameters");
            assertEquals(official[1], summary.macs(), spec.id() + " conv + linear MACs");
            assertEquals(official[2], summary.auxiliaryMacs(), spec.id() + " kernel-mixing MACs");
            List<String> ours = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(model).entrySet()) {
                ours.add(e.getKey() + " " + join(e.getValue().getShape()));
            }
            assertEquals(officialKeys(spec.id()), ours, spec.id() + " state_dict keys and shapes");
        }
    }

    @Test
    void defaultSizeForwardOfTheSmallerModels() {
        // dy_resnet18 at 224 (the family's one full-size forward, batch 1) and dy_resnet_small at 28.
        for (String id : List.of("dy_resnet18", "dy_resnet_small")) {
            ModelSpec spec = spec(id);
            Block model = spec.build();
            try (NDManager m = NDManager.newBaseManager()) {
                Shape in = new Shape(1, spec.defaults().inputChannels(), spec.inputSize(), spec.inputSize());
                TestSupport.init(model, m, in);
                assertEquals(OFFICIAL.get(id)[0], Layers.countParameters(model), id + " parameters");
                NDArray logits = TestSupport.infer(model, m, TestSupport.random(m, in, 1)).head();
                assertEquals(new Shape(1, spec.defaults().numClasses()), logits.getShape(), id);
            }
        }
    }

    @Test
    void forwardShapes() {
        // dy_resnet18 at 224 and dy_resnet_small at 28 (batch 1) run in the test above, the small
        // model with batch 2 in modelArgumentsAreHonoured; dy_resnet50 by shape inference only.
        assertEquals(new Shape(1, 1000),
                spec("dy_resnet50").build().getOutputShapes(new Shape[] {new Shape(1, 3, 224, 224)})[0]);
        assertEquals(new Shape(3, 10),
                spec("dy_resnet_small").build().getOutputShapes(new Shape[] {new Shape(3, 1, 28, 28)})[0]);
        // A VGG at 32×32 (the official CIFAR size: the 1×1 map is pooled up to 7×7) and at 64×64.
        assertEquals(new Shape(2, 1000),
                spec("dy_vgg11").build().getOutputShapes(new Shape[] {new Shape(2, 3, 32, 32)})[0]);
        assertEquals(new Shape(1, 512 * 49), spec("dy_vgg13_bn").build(ModelArgs.imagenet().withNumClasses(0))
                .getOutputShapes(new Shape[] {new Shape(1, 3, 64, 64)})[0]);
        // The embedding translator drops the classifier of any ClassifierNetwork, a VGG's too.
        DyVgg vgg = (DyVgg) spec("dy_vgg16").build();
        assertTrue(vgg instanceof io.convzoo.zoo.arch.ClassifierNetwork && !vgg.isFeaturesOnly());
        vgg.removeClassifier();
        assertEquals(new Shape(2, 512 * 49), vgg.getOutputShapes(new Shape[] {new Shape(2, 3, 32, 32)})[0]);
    }

    @Test
    void modelArgumentsAreHonoured() {
        try (NDManager m = NDManager.newBaseManager()) {
            ModelArgs args = new ModelArgs(7, 3, true, Map.of(DyResNet.KERNELS, "2"));
            Block small = DyResNet.dyResnetSmall(args);
            Shape in = new Shape(2, 3, 28, 28);
            TestSupport.init(small, m, in);
            assertEquals(new Shape(2, 7), TestSupport.infer(small, m, TestSupport.random(m, in, 3)).head().getShape());
            Map<String, Parameter> named = OfficialNames.of(small);
            assertEquals(new Shape(16, 3, 3, 3), named.get("conv1.weight").getArray().getShape());
            assertEquals(new Shape(2, 16, 16, 3, 3), named.get("layer1.0.conv1.weight").getArray().getShape());
            assertEquals(0f, named.get("layer1.0.bn2.weight").getArray().abs().sum().getFloat(), "zero-init last BN");
            assertEquals(16f, named.get("layer1.0.bn1.weight").getArray().sum().getFloat(), "other BNs start at 1");
            assertEquals(0f, named.get("layer4.0.bn2.weight").getArray().abs().sum().getFloat());
        }
        assertThrows(IllegalArgumentException.class,
                () -> DyResNet.dyResnet18(ModelArgs.imagenet().with(DyResNet.KERNELS, 0)));
    }

    @Test
    void temperatureSetterReachesEveryDynamicConv() throws IOException {
        for (String id : List.of("dy_resnet18", "dy_resnet50", "dy_vgg11_bn", "dy_resnext50_32x4d")) {
            Block model = spec(id).build();
            List<DynamicConv2d> all = new ArrayList<>();
            collect(model, all);
            // As many dynamic convs as the official state_dict has attentions (19 for 18, 52 for 50, 8 for vgg11).
            long official = officialKeys(id).stream().filter(k -> k.contains(".attention.fc2.bias ")).count();
            assertEquals(official, all.size(), id);
            assertTrue(all.stream().allMatch(d -> d.getTemperature() == 34f), "official initial temperature");
            assertEquals(all.size(), DyResNet.setTemperature(model, 10f));
            assertTrue(all.stream().allMatch(d -> d.getTemperature() == 10f));
            assertEquals(all.size(), DyResNet.updateTemperature(model));
            assertTrue(all.stream().allMatch(d -> d.getTemperature() == 7f));
        }
    }

    @Test
    void residualBlocksTrain() {
        // >= 16 input channels (>= 5 attention hidden units): a gradient check on a 1- or 2-unit
        // ReLU bottleneck could fail when every hidden unit is inactive.
        TestSupport.assertTrains(DyResidualBlock.basic(16, 16, 2, 4, false), new Shape(2, 16, 6, 6), 5, 0.05f);
        TestSupport.assertTrains(DyResidualBlock.bottleneck(16, 8, 1, 3, false), new Shape(2, 16, 5, 5), 5, 0.05f);
        // ResNeXt form: groups 4, width per group 8 -> inner width 8, the 3×3 grouped.
        TestSupport.assertTrains(DyResidualBlock.bottleneck(16, 8, 2, 4, 8, 2, false), new Shape(2, 16, 6, 6), 5, 0.05f);
        TestSupport.assertTrains(DyVgg.custom("vgg_tiny", new int[] {16, DyVgg.POOL, 16, DyVgg.POOL}, true,
                new ModelArgs(3, 3, false, Map.of())), new Shape(2, 3, 8, 8), 5, 0.005f);
    }

    @Test
    void vggLayersAndBadArgumentsAreNamed() {
        Block vgg = spec("dy_vgg11").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vgg.getOutputShapes(new Shape[] {new Shape(1, 3, 28, 28)}));
        assertTrue(e.getMessage().contains("dy_vgg11: expected an input of shape (N, C=3, H, W) with H, W >= 32 "
                + "(5 2×2 max pools)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> vgg.getOutputShapes(new Shape[] {new Shape(1, 1, 32, 32)}));
        assertTrue(e.getMessage().contains("dy_vgg11") && e.getMessage().contains("(N, C=3, H, W)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> spec("dy_vgg16_bn").build(ModelArgs.imagenet().with("featuresOnly", true)));
        assertTrue(e.getMessage().contains("dy_vgg16_bn: featuresOnly is not supported by a VGG"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> spec("dy_vgg19").build(ModelArgs.imagenet().with(DyResNet.KERNELS, 0)));
        assertTrue(e.getMessage().contains("dy_vgg19: argument kernels must be >= 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DyResNet.custom("basic_grouped",
                DyResNet.BlockType.BASIC, new int[] {1, 1, 1, 1}, new int[] {8, 8, 8, 8}, 8, 2, 64,
                new ModelArgs(10, 3, false, Map.of())));
        assertTrue(e.getMessage().contains("the basic block supports only groups=1 and width per group 64"),
                e.getMessage());
        // The official features: conv (+ BN), ReLU per conv, a 2×2 pool per block (A: 8 convs, 5 pools).
        List<String> children = new ArrayList<>();
        for (Pair<String, Block> child : vgg.getChildren()) {
            children.add(io.convzoo.blocks.ChildNames.name(child.getKey(), children.size()));
        }
        assertEquals(List.of("features", "avgpool", "classifier"), children);
        // The fine-tuning head path of a VGG.
        assertTrue(io.convzoo.zoo.train.ModelSurgery.child(vgg, "classifier.0") instanceof ai.djl.nn.core.Linear);
        assertEquals(2, io.convzoo.zoo.train.ModelSurgery.parametersOf(vgg, "classifier.0").size());
        assertEquals(21, vgg.getChildren().valueAt(0).getChildren().size());
        assertEquals(29, spec("dy_vgg11_bn").build().getChildren().valueAt(0).getChildren().size());
        assertEquals(37 + 16, spec("dy_vgg19_bn").build().getChildren().valueAt(0).getChildren().size());
    }

    @Test
    void badInputNamesTheBlockAndShape() {
        Block small = spec("dy_resnet_small").build();
        DyResidualBlock block = DyResidualBlock.basic(4, 8, 2, 4, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.getOutputShapes(new Shape[] {new Shape(1, 5, 8, 8)}));
        assertTrue(e.getMessage().contains("DyBasicBlock") && e.getMessage().contains("(N, C=4, H, W)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> small.getOutputShapes(new Shape[] {new Shape(1, 1, 28)}));
        assertTrue(e.getMessage().contains("dy_resnet_small") && e.getMessage().contains("(N, C=1, H, W)"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> small.getOutputShapes(new Shape[] {new Shape(1, 3, 28, 28)}));
        assertTrue(e.getMessage().contains("dy_resnet_small") && e.getMessage().contains("(N, C=1, H, W)"),
                e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(small, m, new Shape(1, 1, 28, 28));
            e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(small, m, m.zeros(new Shape(1, 2, 28, 28))));
            assertTrue(e.getMessage().contains("dy_resnet_small"), e.getMessage());
        }
    }

    private static ModelSpec spec(String id) {
        return DyResNets.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private static String join(Shape shape) {
        return Arrays.stream(shape.getShape()).mapToObj(Long::toString).collect(Collectors.joining(","));
    }

    /** "key d0,d1,..." lines of the official state_dict (num_batches_tracked left out). */
    private static List<String> officialKeys(String id) throws IOException {
        String resource = "/io/convzoo/zoo/arch/dyconv/" + id + ".keys.txt.gz";
        try (InputStream in = DyResNetTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "missing test resource " + resource);
            try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in),
                    StandardCharsets.UTF_8))) {
                return r.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
            }
        }
    }

    private static void collect(Block block, List<DynamicConv2d> out) {
        if (block instanceof DynamicConv2d d) {
            out.add(d);
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), out);
        }
    }
}
