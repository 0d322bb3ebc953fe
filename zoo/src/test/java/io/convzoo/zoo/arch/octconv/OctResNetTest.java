package io.convzoo.zoo.arch.octconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.convzoo.zoo.summary.ModelSummary;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OctResNet against numbers measured on the official code (d-li14/octconv.pytorch, PyTorch 1.13)
 * with {@code /usr/bin/python3 tools/octresnet_reference.py --official <dir>}: parameter counts,
 * conv+linear MACs and state_dict keys with shapes.
 */
class OctResNetTest {

    private static ModelSpec spec(String id) {
        return OctResNets.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** Initializes for a square image; parameter shapes do not depend on its size. */
    private static Block initialized(ModelSpec spec, ModelArgs args, NDManager m, int size) {
        Block net = spec.build(args);
        TestSupport.init(net, m, new Shape(1, args.inputChannels(), size, size));
        return net;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "oct_resnet26, 224, 15995176, 1480032256",
        "oct_resnet50, 224, 25557032, 2367143936",
        "oct_resnet101, 224, 44549160, 3991240704",
        "oct_resnet152, 224, 60192808, 5615337472",
        "oct_resnet200, 224, 64673832, 7143899136",
        "oct_resnet_small, 28, 883562, 24637696",
    })
    void parametersAndMacsMatchOfficial(String id, int size, long params, long macs) {
        ModelSpec spec = spec(id);
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = initialized(spec, spec.defaults(), m, size);
            assertEquals(params, Layers.countParameters(net));
            assertEquals(macs, ModelSummary.of(net, new Shape(1, spec.defaults().inputChannels(), size, size)).macs());
        }
    }

    // alpha moves channels between the frequencies: the parameter count stays (groups = 1), the
    // MACs change. Official MACs at 1x3x224x224 (oct_resnet50) and 1x1x28x28 / 32x32 (small).
    @ParameterizedTest(name = "{0} alpha {1} at {2}")
    @CsvSource({
        "oct_resnet50, 0.25, 224, 25557032, 3103526912",
        "oct_resnet_small, 0.5, 32, 883562, 34821120",
        "oct_resnet_small, 0.25, 28, 883562, 28730176",
        "oct_resnet_small, 0.25, 32, 883562, 40166400",
    })
    void macsAndParametersMatchOfficialPerAlpha(String id, String alpha, int size, long params, long macs) {
        ModelSpec spec = spec(id);
        ModelArgs args = spec.defaults().with("alpha", alpha);
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = initialized(spec, args, m, size);
            assertEquals(params, Layers.countParameters(net));
            assertEquals(macs, ModelSummary.of(net, new Shape(1, args.inputChannels(), size, size)).macs());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"oct_resnet26", "oct_resnet50"})
    void officialNamesEqualTheOfficialStateDict(String id) throws IOException {
        List<String> expected = readKeys(id + ".keys.gz");
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = initialized(spec(id), spec(id).defaults(), m, 32);
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(net).entrySet()) {
                Shape s = e.getValue().getArray().getShape();
                actual.add(e.getKey() + " " + joinDims(s));
            }
            assertEquals(expected, actual);
        }
    }

    private static String joinDims(Shape s) {
        List<String> dims = new ArrayList<>();
        for (long d : s.getShape()) {
            dims.add(Long.toString(d));
        }
        return String.join("x", dims);
    }

    private static List<String> readKeys(String resource) throws IOException {
        try (InputStream in = OctResNetTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
                return r.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
            }
        }
    }

    @Test
    void imagenetForwardAt224() {
        ModelSpec spec = spec("oct_resnet26");
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = initialized(spec, spec.defaults(), m, 224);
            NDList y = TestSupport.infer(net, m, TestSupport.random(m, new Shape(1, 3, 224, 224), 1));
            assertEquals(new Shape(1, 1000), y.singletonOrThrow().getShape());
        }
    }

    /** Per-layer output shapes of the small variant, from the traced dataflow. */
    private static Map<String, String> layerShapes(ResNet net, Shape input) {
        Map<String, String> out = new LinkedHashMap<>();
        net.traceChildren(new Shape[] {input}, (name, child, shapes) -> {
            if (name.startsWith("layer")) {
                out.put(name, List.of(child.getOutputShapes(shapes)).toString());
            }
        });
        return out;
    }

    @Test
    void smallVariantKeepsLowFrequencyMapsExactHalvesAt28And32() {
        ModelSpec spec = spec("oct_resnet_small");
        assertEquals(28, spec.inputSize());
        try (NDManager m = NDManager.newBaseManager()) {
            for (int size : new int[] {28, 32}) {
                Block net = initialized(spec, spec.defaults(), m, size);
                NDList y = TestSupport.infer(net, m, TestSupport.random(m, new Shape(1, 1, size, size), 3));
                assertEquals(new Shape(1, 10), y.singletonOrThrow().getShape());
            }
            ResNet net = (ResNet) spec.build();
            assertEquals(Map.of(
                    "layer1", "[(1, 32, 28, 28), (1, 32, 14, 14)]",
                    "layer2", "[(1, 64, 14, 14), (1, 64, 7, 7)]",
                    "layer3", "[(1, 256, 7, 7)]",
                    "layer4", "[(1, 512, 3, 3)]"), layerShapes(net, new Shape(1, 1, 28, 28)));
            assertEquals(Map.of(
                    "layer1", "[(1, 32, 32, 32), (1, 32, 16, 16)]",
                    "layer2", "[(1, 64, 16, 16), (1, 64, 8, 8)]",
                    "layer3", "[(1, 256, 8, 8)]",
                    "layer4", "[(1, 512, 4, 4)]"), layerShapes(net, new Shape(1, 1, 32, 32)));
        }
    }

    @Test
    void wrongInputIsRejectedByName() {
        Block net = spec("oct_resnet_small").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 28, 28)}));
        assertTrue(e.getMessage().startsWith("oct_resnet_small") && e.getMessage().contains("(N, C=1, H, W)"),
                e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(net, m, new Shape(1, 1, 28, 28));
            e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(net, m, m.zeros(new Shape(1, 3, 28, 28))));
            assertTrue(e.getMessage().contains("(N, C=1, H, W)"), e.getMessage());
        }
        // An odd size where a low-frequency map is made: 27 -> low 13, not 13.5.
        e = assertThrows(IllegalArgumentException.class, () -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 27, 27)}));
        assertTrue(e.getMessage().contains("OctConv") && e.getMessage().contains("odd spatial size"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> spec("oct_resnet50").build(ModelArgs.imagenet().with("alpha", 1.0)));
    }

    @Test
    void argumentsReachTheNetwork() {
        ModelSpec spec = spec("oct_resnet_small");
        ModelArgs args = ModelArgs.fromMap(Map.of("numClasses", "7", "inputChannels", 3, "zeroInitLastBn", "true"),
                spec.defaults());
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = initialized(spec, args, m, 32);
            Map<String, Parameter> names = OfficialNames.of(net);
            assertEquals(new Shape(7, 512), names.get("fc.weight").getArray().getShape());
            assertEquals(new Shape(32, 3, 3, 3), names.get("conv1.weight").getArray().getShape());
            assertEquals(0f, names.get("layer1.0.conv3.bn_h.weight").getArray().abs().sum().getFloat());
            assertEquals(0f, names.get("layer2.1.conv3.bn_l.weight").getArray().abs().sum().getFloat());
            // Other BatchNorms start at gamma = 1 (layer1 width 16: 8 high channels).
            assertEquals(8f, names.get("layer1.0.conv2.bn_h.weight").getArray().sum().getFloat());
        }
    }

    @Test
    void variantTable() {
        assertEquals(List.of("oct_resnet26", "oct_resnet50", "oct_resnet101", "oct_resnet152", "oct_resnet200",
                "oct_resnet_small"), OctResNets.VARIANTS.stream().map(ModelSpec::id).toList());
        for (ModelSpec s : OctResNets.VARIANTS) {
            assertEquals("octconv", s.family());
            assertEquals("octconv", s.properties().get("family"));
            assertEquals("0.5", s.properties().get("alpha"));
        }
        assertEquals("50", spec("oct_resnet50").properties().get("depth"));
        assertEquals("imagenet", spec("oct_resnet50").properties().get("dataset"));
        assertEquals(224, spec("oct_resnet50").inputSize());
        assertEquals(1000, spec("oct_resnet50").defaults().numClasses());
        assertEquals("fashion-mnist", spec("oct_resnet_small").properties().get("dataset"));
        assertEquals(10, spec("oct_resnet_small").defaults().numClasses());
        assertEquals(1, spec("oct_resnet_small").defaults().inputChannels());
    }

    @Test
    void smallVariantTrains() {
        Block net = spec("oct_resnet_small").build();
        // 16x16 keeps it quick (high/low maps 16/8, 8/4, then 4 and 2) while every training-mode
        // BatchNorm still sees more than 2 values per channel; small steps keep SGD monotone.
        Engine.getInstance().setRandomSeed(42);
        TestSupport.assertTrains(net, new Shape(4, 1, 16, 16), 3, 0.005f);
    }
}
