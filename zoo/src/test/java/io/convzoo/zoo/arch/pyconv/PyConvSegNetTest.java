package io.convzoo.zoo.arch.pyconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.arch.ResNet;
import io.convzoo.zoo.summary.ModelSummary;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * PyConvSegNet against numbers measured on the official iduta/pyconvsegnet code (Debian PyTorch
 * 1.13) with {@code tools/pyconvsegnet_fixtures.py counts}: parameter counts (aux head included),
 * conv MACs of an eval forward at 1×3×473×473 for output stride 8 and 16, and the state_dict (key,
 * shape) lists of the 50-layer models. Shapes only: no full-size forward.
 */
class PyConvSegNetTest {

    /** id -> {parameters, MACs at output stride 8, MACs at output stride 16}, 150 classes, 473×473. */
    private static final Map<String, long[]> OFFICIAL = new LinkedHashMap<>();

    static {
        OFFICIAL.put("pyconvsegnet_pyconvresnet50", new long[] {33_688_236L, 104_670_221_312L, 32_338_906_112L});
        OFFICIAL.put("pyconvsegnet_pyconvresnet101", new long[] {51_148_460L, 167_339_021_312L, 48_006_106_112L});
        OFFICIAL.put("pyconvsegnet_pyconvresnet152", new long[] {65_481_388L, 218_771_674_112L, 63_496_358_912L});
        OFFICIAL.put("pyconvsegnet_pyconvhgresnet50", new long[] {34_075_244L, 107_242_985_664L, 34_944_848_064L});
        OFFICIAL.put("pyconvsegnet_pyconvhgresnet101", new long[] {53_467_756L, 176_805_353_664L, 52_335_440_064L});
        OFFICIAL.put("pyconvsegnet_pyconvhgresnet152", new long[] {69_498_476L, 234_294_761_664L, 69_928_784_064L});
    }

    @Test
    void variantTableListsEveryBackboneForAde20k() {
        assertEquals(new ArrayList<>(OFFICIAL.keySet()), PyConvSegNets.VARIANTS.stream().map(ModelSpec::id).toList());
        for (ModelSpec spec : PyConvSegNets.VARIANTS) {
            assertEquals(spec, ModelRegistry.get(spec.id()));
            assertEquals("pyconvsegnet", spec.properties().get("family"));
            assertEquals("segmentation", spec.properties().get("task"));
            assertEquals(Datasets.ADE20K, spec.properties().get("dataset"));
            assertEquals(473, spec.inputSize());
            assertEquals(150, spec.defaults().numClasses());
            assertEquals(150, spec.data().classNames().size());
            assertEquals(8, spec.defaults().getInt(PyConvSegNet.OUTPUT_STRIDE, 0));
        }
        assertEquals("wall", Datasets.ADE20K_SPEC.classNames().get(0));
        assertEquals("flag", Datasets.ADE20K_SPEC.classNames().get(149));
    }

    @Test
    void everyVariantHasTheOfficialParameterCountAndMacsAtBothOutputStrides() {
        Shape in = new Shape(1, 3, 473, 473);
        for (ModelSpec spec : PyConvSegNets.VARIANTS) {
            long[] official = OFFICIAL.get(spec.id());
            Block os8 = spec.build();
            try (NDManager m = NDManager.newBaseManager()) {
                initCheaply(os8, m, in);
                assertEquals(official[0], Layers.countParameters(os8), spec.id() + " parameters");
                ModelSummary summary = ModelSummary.of(os8, in);
                assertEquals(official[1], summary.macs(), spec.id() + " MACs at output stride 8");
                // The eval forward leaves out the aux head: 3x3 conv 1024 -> 256, BN, 1x1 conv 256 -> 150 + bias.
                assertEquals(1024 * 256 * 9 + 2 * 256 + 256 * 150 + 150, summary.paramsOutsideForward(), spec.id());
                assertEquals(official[0], summary.params() + summary.paramsOutsideForward(), spec.id());
                assertEquals(new Shape(1, 150, 473, 473), os8.getOutputShapes(new Shape[] {in})[0]);
            }
            Block os16 = spec.build(spec.defaults().with(PyConvSegNet.OUTPUT_STRIDE, "16"));
            assertEquals(official[2], ModelSummary.of(os16, in).macs(), spec.id() + " MACs at output stride 16");
        }
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfPyConvSegNetOnPyConvResNet50() throws IOException {
        assertMatchesStateDict("pyconvsegnet_pyconvresnet50");
    }

    @Test
    void officialNamesAndShapesEqualTheStateDictOfPyConvSegNetOnPyConvHGResNet50() throws IOException {
        assertMatchesStateDict("pyconvsegnet_pyconvhgresnet50");
    }

    @Test
    void badArgumentsAndInputsAreNamed() {
        ModelSpec spec = ModelRegistry.get("pyconvsegnet_pyconvresnet50");
        assertMessage(() -> spec.build(spec.defaults().with(PyConvSegNet.OUTPUT_STRIDE, 4)), "outputStride", "8 or 16");
        assertMessage(() -> spec.build(spec.defaults().withNumClasses(1)), "numClasses", "> 1");
        Block net = spec.build();
        assertMessage(() -> net.getOutputShapes(new Shape[] {new Shape(1, 3, 64, 64)}), "8k + 1", "(1, 3, 64, 64)");
        assertMessage(() -> net.getOutputShapes(new Shape[] {new Shape(1, 1, 65, 65)}), "PyConvSegNet", "C=3");
        ResNet.Layout dilated = ResNet.Layout.imagenet(ResNet.Stem.IMAGENET, new int[] {1, 1, 1, 1}, 4)
                .withDilations(1, 1, 2, 4);
        assertMessage(() -> ResNet.build("r", "ResNet", dilated, (s, i, c, p, st) -> Layers.relu(),
                ModelArgs.imagenet()), "no dilated form", "[1, 1, 2, 4]");
    }

    private static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::execute);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
    }

    /** OfficialNames (key, shape) in order against the list dumped from the official state_dict. */
    private static void assertMatchesStateDict(String id) throws IOException {
        Block net = ModelRegistry.get(id).build();
        List<String> expected;
        try (InputStream raw = PyConvSegNetTest.class.getResourceAsStream(id + ".keys.gz")) {
            assertNotNull(raw, "missing test resource " + id + ".keys.gz");
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            expected = r.lines().filter(l -> !l.isBlank()).toList();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            initCheaply(net, m, new Shape(1, 3, 65, 65));
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : OfficialNames.of(net).entrySet()) {
                Shape s = e.getValue().getArray().getShape();
                StringBuilder dims = new StringBuilder();
                for (int i = 0; i < s.dimension(); i++) {
                    dims.append(i == 0 ? "" : ",").append(s.get(i));
                }
                actual.add(e.getKey() + " " + dims);
            }
            assertEquals(expected, actual, id + ": (key, shape) list differs from the official state_dict");
        }
    }

    /** Zero weights: counting and naming need shapes, not random values. */
    private static void initCheaply(Block net, NDManager m, Shape in) {
        net.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
        TestSupport.init(net, m, in);
    }

    @FunctionalInterface
    private interface Executable {
        void execute();
    }
}
