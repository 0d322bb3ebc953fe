package io.convzoo.zoo.arch.pyconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.convzoo.zoo.summary.ModelSummary;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
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
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * PyConvResNet against numbers measured on the official code (iduta/pyconv, Debian PyTorch 1.13)
 * with {@code tools/pyconv_official_dump.py}: parameter counts, conv+linear MACs and the
 * state_dict (key, shape) lists stored under test resources.
 */
class PyConvResNetTest {

    /** id -> {parameters, conv+linear MACs at the default input (1×3×224×224, small: 1×1×28×28)}. */
    private static final Map<String, long[]> OFFICIAL = new LinkedHashMap<>();

    static {
        OFFICIAL.put("pyconvresnet18", new long[] {5_911_976L, 863_137_792L});
        OFFICIAL.put("pyconvresnet34", new long[] {11_091_048L, 1_734_795_264L});
        OFFICIAL.put("pyconvresnet50", new long[] {24_847_720L, 3_820_441_600L});
        OFFICIAL.put("pyconvresnet101", new long[] {42_307_944L, 7_232_409_600L});
        OFFICIAL.put("pyconvresnet152", new long[] {56_640_872L, 10_605_842_432L});
        OFFICIAL.put("pyconvhgresnet50", new long[] {25_234_728L, 4_533_944_320L});
        OFFICIAL.put("pyconvhgresnet101", new long[] {44_627_240L, 8_321_228_800L});
        OFFICIAL.put("pyconvhgresnet152", new long[] {60_657_960L, 12_152_668_160L});
        OFFICIAL.put("pyconvresnet_small", new long[] {1_355_242L, 52_730_880L});
    }

    @Test
    void variantTableListsEveryVariantWithItsProperties() {
        List<String> ids = PyConvResNets.VARIANTS.stream().map(ModelSpec::id).toList();
        assertEquals(new ArrayList<>(OFFICIAL.keySet()), ids);
        for (ModelSpec spec : PyConvResNets.VARIANTS) {
            assertEquals("pyconv", spec.family());
            assertEquals("pyconv", spec.properties().get("family"));
            assertNotNull(spec.properties().get("depth"), spec.id());
            assertNotNull(spec.properties().get("width"), spec.id());
            boolean small = spec.id().equals("pyconvresnet_small");
            assertEquals(small ? "fashion-mnist" : "imagenet", spec.properties().get("dataset"));
            assertEquals(small ? 28 : 224, spec.inputSize());
            assertEquals(small ? 10 : 1000, spec.defaults().numClasses());
            assertEquals(small ? 1 : 3, spec.defaults().inputChannels());
        }
        assertEquals("152", spec("pyconvhgresnet152").properties().get("depth"));
        assertEquals("128", spec("pyconvhgresnet50").properties().get("width"));
    }

    @Test
    void everyVariantHasTheOfficialParameterCountAndMacs() {
        for (ModelSpec spec : PyConvResNets.VARIANTS) {
            Block net = spec.build();
            Shape in = new Shape(1, spec.defaults().inputChannels(), spec.inputSize(), spec.inputSize());
            try (NDManager m = NDManager.newBaseManager()) {
                initCheaply(net, m, in);
                assertEquals(OFFICIAL.get(spec.id())[0], Layers.countParameters(net), spec.id() + " parameters");
                assertEquals(OFFICIAL.get(spec.id())[1], ModelSummary.of(net, in).macs(), spec.id() + " MACs");
                assertEquals(new Shape(1, spec.defaults().numClasses()), net.getOutputShapes(new Shape[] {in})[0]);
            }
        }
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfPyConvResNet18() throws IOException {
        assertMatchesStateDict("pyconvresnet18", ModelArgs.imagenet(), names -> { });
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfPyConvResNet50AndZeroInitHitsBn3() throws IOException {
        assertMatchesStateDict("pyconvresnet50", new ModelArgs(1000, 3, true, Map.of()), names -> {
            int zeroed = 0;
            for (Map.Entry<String, Parameter> e : names.entrySet()) {
                if (e.getKey().matches("layer\\d\\.\\d+\\.bn3\\.weight")) {
                    assertEquals(0f, e.getValue().getArray().abs().sum().getFloat(), e.getKey());
                    zeroed++;
                }
            }
            assertEquals(3 + 4 + 6 + 3, zeroed);
            assertEquals(1f, names.get("layer1.0.bn2.weight").getArray().min().getFloat());
        });
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfPyConvHGResNet50() throws IOException {
        assertMatchesStateDict("pyconvhgresnet50", ModelArgs.imagenet(), names -> { });
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfTheSmallVariant() throws IOException {
        assertMatchesStateDict("pyconvresnet_small", spec("pyconvresnet_small").defaults(), names -> { });
    }

    @Test
    void forwardAt224GivesOneLogitPerClass() {
        Block net = PyConvResNet.pyconvresnet18(ModelArgs.imagenet());
        Shape in = new Shape(1, 3, 224, 224);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(net, m, in);
            assertEquals(new Shape(1, 1000), TestSupport.infer(net, m, TestSupport.random(m, in, 1)).head().getShape());
        }
    }

    @Test
    void smallVariantGoes28To4AndHonoursClassesChannelsAndZeroInit() {
        ModelArgs args = new ModelArgs(7, 3, true, Map.of());
        ResNet net = PyConvResNet.pyconvresnetSmall(args);
        Shape in = new Shape(2, 3, 28, 28);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(net, m, in);
            assertEquals(new Shape(2, 7), TestSupport.infer(net, m, TestSupport.random(m, in, 2)).head().getShape());
            Map<String, Parameter> names = OfficialNames.of(net);
            assertEquals(new Shape(32, 3, 3, 3), names.get("conv1.weight").getArray().getShape());
            assertEquals(new Shape(7, 256), names.get("fc.weight").getArray().getShape());
            assertEquals(0f, names.get("layer3.1.bn2.weight").getArray().abs().sum().getFloat());
            assertEquals(1f, names.get("layer3.1.bn1.weight").getArray().min().getFloat());
            // spatial sizes per stage: 28 (stem, layer1 not strided) -> 28 -> 14 -> 7 -> 4
            List<Long> sides = new ArrayList<>();
            net.traceChildren(new Shape[] {in}, (name, child, shapes) -> {
                if (name.startsWith("layer")) {
                    sides.add(child.getOutputShapes(shapes)[0].get(2));
                }
            });
            assertEquals(List.of(28L, 14L, 7L, 4L), sides);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.infer(net, m, m.zeros(new Shape(2, 1, 28, 28))));
            assertTrue(e.getMessage().contains("PyConvResNet") && e.getMessage().contains("C=3"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.getOutputShapes(new Shape[] {new Shape(3, 28, 28)}));
        assertTrue(e.getMessage().contains("PyConvResNet") && e.getMessage().contains("(N, C=3, H, W)"), e.getMessage());
    }

    @Test
    void imagenetVariantHonoursInputChannelsAndClasses() {
        Block net = spec("pyconvresnet18").build(ModelArgs.imagenet().withInputChannels(1).withNumClasses(5));
        Shape in = new Shape(1, 1, 224, 224);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(net, m, in);
            // conv1 loses 64*2*7*7 weights; fc 512*1000+1000 becomes 512*5+5
            assertEquals(5_911_976L - 64 * 2 * 49 - 512 * 995 - 995, Layers.countParameters(net));
            assertEquals(new Shape(1, 5), net.getOutputShapes(new Shape[] {in})[0]);
        }
    }

    /** Compares OfficialNames (key, shape) with the stored official list, then runs {@code more} on the names. */
    private static void assertMatchesStateDict(String id, ModelArgs args, Consumer<Map<String, Parameter>> more)
            throws IOException {
        ModelSpec spec = spec(id);
        Block net = spec.build(args);
        Shape in = new Shape(1, args.inputChannels(), spec.inputSize(), spec.inputSize());
        List<String> expected = readKeys(id);
        try (NDManager m = NDManager.newBaseManager()) {
            initCheaply(net, m, in);
            Map<String, Parameter> names = OfficialNames.of(net);
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : names.entrySet()) {
                actual.add(e.getKey() + " " + joinDims(e.getValue().getArray().getShape()));
            }
            assertEquals(expected, actual, id + ": (key, shape) list differs from the official state_dict");
            more.accept(names);
        }
    }

    /**
     * Initializes with zero weights: counting and naming need shapes, not random values, and filling
     * ~60M weights with Gaussian noise dominates the run time on a small machine. BatchNorm keeps its
     * own (gamma ones or zero-init) initializers.
     */
    private static void initCheaply(Block net, NDManager m, Shape in) {
        net.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
        TestSupport.init(net, m, in);
    }

    private static String joinDims(Shape s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.dimension(); i++) {
            sb.append(i == 0 ? "" : ",").append(s.get(i));
        }
        return sb.toString();
    }

    /** The official (key, shape) list, one "key d0,d1,.." per line, num_batches_tracked left out. */
    private static List<String> readKeys(String id) throws IOException {
        String resource = id + ".keys.gz";
        try (InputStream raw = PyConvResNetTest.class.getResourceAsStream(resource)) {
            assertNotNull(raw, "missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            return r.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static ModelSpec spec(String id) {
        return PyConvResNets.VARIANTS.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }
}
