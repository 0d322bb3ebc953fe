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

    /** Official learnable parameters (sum of p.numel() over model.parameters()). */
    private static final Map<String, Long> OFFICIAL_PARAMS = Map.of(
            "dy_resnet18", 45_475_008L,
            "dy_resnet50", 100_895_176L,
            "dy_resnet_small", 1_234_770L);

    /** Official MACs for one image at the default size: {all conv + linear, kernel mixing}. */
    private static final Map<String, long[]> OFFICIAL_MACS = Map.of(
            "dy_resnet18", new long[] {1_814_386_252L, 44_630_016L},
            "dy_resnet50", new long[] {4_094_185_680L, 93_782_016L},
            "dy_resnet_small", new long[] {13_025_772L, 1_222_656L});

    @BeforeEach
    void seedEngine() {
        // Parameter init draws from the engine's generator: seed it so every run sees the same weights.
        Engine.getInstance().setRandomSeed(1234);
    }

    @Test
    void variantTableDescribesTheFamily() {
        List<String> ids = DyResNets.VARIANTS.stream().map(ModelSpec::id).collect(Collectors.toList());
        assertEquals(List.of("dy_resnet18", "dy_resnet50", "dy_resnet_small"), ids);
        for (ModelSpec spec : DyResNets.VARIANTS) {
            assertEquals("dyconv", spec.family());
            assertEquals("dyconv", spec.properties().get("family"));
            assertEquals("4", spec.properties().get("kernels"));
        }
        ModelSpec small = spec("dy_resnet_small");
        assertEquals("fashion-mnist", small.properties().get("dataset"));
        assertEquals("10", small.properties().get("depth"));
        assertEquals(28, small.inputSize());
        assertEquals(10, small.defaults().numClasses());
        assertEquals(1, small.defaults().inputChannels());
        assertEquals("50", spec("dy_resnet50").properties().get("depth"));
        assertEquals("imagenet", spec("dy_resnet18").properties().get("dataset"));
        assertEquals(224, spec("dy_resnet18").inputSize());
        assertEquals(1000, spec("dy_resnet50").defaults().numClasses());
    }

    @Test
    void parameterCountsAndNamesEqualTheOfficialStateDict() throws IOException {
        for (ModelSpec spec : DyResNets.VARIANTS) {
            Block model = spec.build();
            try (NDManager m = NDManager.newBaseManager()) {
                int size = spec.inputSize();
                Shape in = new Shape(1, spec.defaults().inputChannels(), size, size);
                TestSupport.init(model, m, in);
                assertEquals(OFFICIAL_PARAMS.get(spec.id()), Layers.countParameters(model), spec.id() + " parameters");
                if (!spec.id().equals("dy_resnet50")) {
                    // Forward at the default size (224 for dy_resnet18: the family's one full-size forward, batch 1).
                    NDArray logits = TestSupport.infer(model, m, TestSupport.random(m, in, 1)).head();
                    assertEquals(new Shape(1, spec.defaults().numClasses()), logits.getShape(), spec.id());
                }
                List<String> ours = new ArrayList<>();
                for (Map.Entry<String, Parameter> e : OfficialNames.of(model).entrySet()) {
                    ours.add(e.getKey() + " " + join(e.getValue().getArray().getShape()));
                }
                assertEquals(officialKeys(spec.id()), ours, spec.id() + " state_dict keys and shapes");
            }
        }
    }

    @Test
    void macsEqualTheOfficialCount() {
        for (ModelSpec spec : DyResNets.VARIANTS) {
            int size = spec.inputSize();
            ModelSummary summary = ModelSummary.of(spec.build(), new Shape(1, spec.defaults().inputChannels(), size, size));
            assertEquals(OFFICIAL_MACS.get(spec.id())[0], summary.macs(), spec.id() + " conv + linear MACs");
            assertEquals(OFFICIAL_MACS.get(spec.id())[1], summary.auxiliaryMacs(), spec.id() + " kernel-mixing MACs");
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
        for (String id : List.of("dy_resnet18", "dy_resnet50")) {
            Block model = spec(id).build();
            List<DynamicConv2d> all = new ArrayList<>();
            collect(model, all);
            // As many dynamic convs as the official state_dict has attentions (19 for 18, 52 for 50).
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
