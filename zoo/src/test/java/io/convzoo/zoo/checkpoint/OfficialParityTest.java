package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.res2net.Res2NetBottleneck.Shortcut;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.arch.condconv.EfficientNetCc;
import io.convzoo.zoo.arch.condconv.EfficientNetCcs;
import io.convzoo.zoo.arch.dla.Dla;
import io.convzoo.zoo.arch.dyconv.DyResNet;
import io.convzoo.zoo.arch.dyconv.DyVgg;
import io.convzoo.zoo.arch.octconv.OctMobileNet;
import io.convzoo.zoo.arch.octconv.OctResNet;
import io.convzoo.zoo.arch.pyconv.PyConvResNet;
import io.convzoo.zoo.arch.res2net.Res2Net;
import io.convzoo.zoo.arch.res2net.Res2Net.Config;
import io.convzoo.zoo.arch.ResNet.Stem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * End-to-end parity with the OFFICIAL PyTorch code of every family: checkpoints written by
 * {@code torch.save} (zip and legacy formats) from reduced configurations of the official network
 * classes (tools/parity_fixtures.py, Debian PyTorch 1.13), read by the pure-Java reader, loaded
 * strictly by official names into the zoo builders' same configuration, and run in eval mode;
 * the logits must equal the official logits within 1e-4. Weights are random but seeded and the
 * BatchNorm running statistics are far from 0/1, so every parameter and statistic matters.
 */
class OfficialParityTest {

    static final double TOLERANCE = 1e-4;
    static final ModelArgs ARGS = new ModelArgs(10, 3, false, Map.of());
    private static final int[][] PYCONV_GROUPS = {{1, 2, 4, 4}, {1, 2, 4}, {1, 4}, {1}};
    private static final int[][] PYCONV_HG_GROUPS = {{4, 4, 4, 4}, {4, 4, 8}, {4, 8}, {8}};
    private static final int[] STRIDES = {1, 2, 2, 2};
    private static final int POOL = DyVgg.POOL;

    /** Case name (file prefix) → (family, Java builder of the same configuration as tools/parity_fixtures.py). */
    static final Map<String, Case> CASES = cases();

    record Case(String family, Function<ModelArgs, Block> builder) {}

    private static Map<String, Case> cases() {
        Map<String, Case> c = new LinkedHashMap<>();
        c.put("pyconvresnet_reduced", new Case("pyconv", args -> PyConvResNet.builder().bottleneck(2, 1, 1, 1)
                .widths(16, 16, 32, 16).groups(PYCONV_GROUPS).build(args)));
        c.put("pyconvresnet18_reduced", new Case("pyconv", args -> PyConvResNet.builder().basic(1, 2, 1, 1)
                .widths(16, 16, 32, 32).groups(PYCONV_GROUPS).build(args)));
        c.put("pyconvhgresnet_reduced", new Case("pyconv", args -> PyConvResNet.builder().highGroups()
                .bottleneck(2, 1, 1, 1).widths(16, 16, 32, 32).groups(PYCONV_HG_GROUPS).build(args)));
        c.put("res2net_reduced", new Case("res2net", args -> Res2Net.build(new Config(new int[] {2, 1, 1, 1},
                new int[] {8, 8, 16, 16}, STRIDES, Stem.IMAGENET, 16, 26, 4, 1, Shortcut.V1), args)));
        c.put("res2net_v1b_reduced", new Case("res2net", args -> Res2Net.build(new Config(new int[] {1, 1, 1, 2},
                new int[] {8, 8, 16, 16}, STRIDES, Stem.DEEP, 16, 26, 4, 1, Shortcut.V1B), args)));
        c.put("res2next_reduced", new Case("res2net", args -> Res2Net.build(new Config(new int[] {2, 1, 1, 1},
                new int[] {16, 16, 16, 16}, STRIDES, Stem.IMAGENET_MAXPOOL1, 16, 4, 4, 8, Shortcut.V1), args)));
        c.put("oct_resnet_reduced", new Case("octconv", args -> OctResNet.custom("oct_resnet_reduced", 16,
                new int[] {2, 1, 1, 2}, new int[] {8, 8, 16, 16}, args)));
        // The fixtures run the official attention at temperature 4 (34 at initialization).
        c.put("dy_resnet18_reduced", new Case("dyconv", args -> DyResNet.custom("dy_resnet18_reduced",
                DyResNet.BlockType.BASIC, new int[] {2, 1, 1, 1}, new int[] {8, 8, 16, 16}, 16,
                args.with(DyResNet.TEMPERATURE, 4))));
        c.put("dy_resnet50_reduced", new Case("dyconv", args -> DyResNet.custom("dy_resnet50_reduced",
                DyResNet.BlockType.BOTTLENECK, new int[] {1, 1, 1, 1}, new int[] {4, 8, 8, 8}, 16,
                args.with(DyResNet.TEMPERATURE, "4"))));
        // issue 20: the other official dynamic-convolution variants (tools/parity_fixtures.py, same section)
        c.put("dy_resnext_reduced", new Case("dyconv", args -> DyResNet.custom("dy_resnext_reduced",
                DyResNet.BlockType.BOTTLENECK, new int[] {1, 1, 1, 1}, new int[] {4, 8, 8, 16}, 16, 4, 16,
                args.with(DyResNet.TEMPERATURE, 4))));
        c.put("dy_wide_resnet_reduced", new Case("dyconv", args -> DyResNet.custom("dy_wide_resnet_reduced",
                DyResNet.BlockType.BOTTLENECK, new int[] {1, 1, 1, 1}, new int[] {4, 4, 8, 8}, 16, 1, 128,
                args.with(DyResNet.TEMPERATURE, 4))));
        c.put("dy_vgg_reduced", new Case("dyconv", args -> DyVgg.custom("dy_vgg_reduced",
                new int[] {8, POOL, 16, POOL, 16, 16, POOL, 16, POOL, 16, POOL}, false, args.with(DyResNet.TEMPERATURE, 4))));
        c.put("dy_vgg_bn_reduced", new Case("dyconv", args -> DyVgg.custom("dy_vgg_bn_reduced",
                new int[] {8, 8, POOL, 16, POOL, 16, POOL, 16, POOL, 16, 16, POOL}, true, args.with(DyResNet.TEMPERATURE, 4))));
        // issue 20: DLA (64×64 input, the official pool_size 2).
        c.put("res2net_dla_reduced", new Case("dla", args -> Dla.build("res2net_dla_reduced", new Dla.Config(
                new int[] {1, 1, 1, 2, 3, 1}, new int[] {4, 8, 16, 16, 16, 32}, Dla.BlockType.RES2NET),
                args.with(Dla.POOL_SIZE, 2))));
        c.put("res2next_dla_reduced", new Case("dla", args -> Dla.build("res2next_dla_reduced", new Dla.Config(
                new int[] {1, 1, 1, 2, 1, 1}, new int[] {4, 8, 32, 32, 32, 32}, Dla.BlockType.RES2NEXT),
                args.with(Dla.POOL_SIZE, 2))));
        c.put("oct_mobilenet_reduced", new Case("octconv", args -> OctMobileNet.build("oct_mobilenet_reduced", 16, args)));
        // issue 20: timm's CondConv EfficientNet, narrower (tools/efficientnet_cc_official.py, REDUCED_ARCH and REDUCED).
        c.put("efficientnet_cc_reduced", new Case(EfficientNetCcs.FAMILY, args -> EfficientNetCc.build(
                "efficientnet_cc_reduced", List.of(List.of("ds_r1_k3_s1_e1_c8_se0.25"), List.of("ir_r1_k3_s2_e3_c16_se0.25"),
                        List.of("ir_r1_k5_s2_e3_c16_se0.25_cc2"), List.of("ir_r1_k3_s2_e3_c24_se0.25_cc3")),
                1.1, 2, 8, 64, args)));
        return c;
    }

    static Stream<Arguments> checkpoints() {
        return CASES.keySet().stream().flatMap(name -> Stream.of(
                Arguments.of(name, name + ".pth", "torch-zip"),
                Arguments.of(name, name + "_legacy.pth", "torch-legacy")));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("checkpoints")
    void javaLogitsEqualTheOfficialLogits(String name, String file, String format) throws IOException {
        StateDict sd = StateDicts.read(file(file));
        assertEquals(format, sd.format());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = npy(manager, name + ".input.npy");
            float[] official = npy(manager, name + ".logits.npy").toFloatArray();
            Block block = CASES.get(name).builder().apply(ARGS);
            TestSupport.init(block, manager, input.getShape());
            WeightLoader.Result result = WeightLoader.load(block, sd, true, KeyRenames.of(CASES.get(name).family()));
            // Strict: every official tensor but the step counters is a parameter of the Java block.
            long counters = sd.keys().stream().filter(WeightLoader::isIgnored).count();
            assertEquals(sd.size() - counters, result.loaded());
            assertEquals(OfficialNames.of(block).size(), result.loaded());
            float[] logits = TestSupport.infer(block, manager, input).head().toFloatArray();
            TestSupport.assertClose(official, logits, TOLERANCE);
        }
    }

    @Test
    void fp16WeightsGiveTheOfficialLogitsOfTheRoundedWeights() throws IOException {
        String name = "res2net_reduced";
        StateDict sd = StateDicts.read(file(name + "_fp16.pth"));
        assertEquals(DType.FLOAT16, sd.get("conv1.weight").dtype());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = npy(manager, name + ".input.npy");
            float[] roundedReference = npy(manager, name + ".logits_fp16.npy").toFloatArray();
            float[] fp32Reference = npy(manager, name + ".logits.npy").toFloatArray();
            Block block = CASES.get(name).builder().apply(ARGS);
            TestSupport.init(block, manager, input.getShape());
            WeightLoader.load(block, sd);
            float[] logits = TestSupport.infer(block, manager, input).head().toFloatArray();
            // Exact: PyTorch ran the same float16-rounded weights in float32.
            TestSupport.assertClose(roundedReference, logits, TOLERANCE);
            // Within fp16 tolerance of the float32 model (1e-2 relative to the largest logit).
            double scale = 0;
            for (float v : fp32Reference) {
                scale = Math.max(scale, Math.abs(v));
            }
            TestSupport.assertClose(fp32Reference, logits, 1e-2 * scale);
        }
    }

    @Test
    void everyFixtureCaseIsTested() throws IOException {
        // A case added to the generator but not here (or the reverse) fails.
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(file("cases.json").getParent())) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".logits.npy"))
                    .forEach(n -> files.add(n.substring(0, n.length() - ".logits.npy".length())));
        }
        assertEquals(new TreeSet<>(CASES.keySet()), files);
        assertTrue(List.of("pyconv", "res2net", "octconv", "dyconv").stream()
                .allMatch(f -> CASES.values().stream().anyMatch(c -> c.family().equals(f))));
    }

    static Path file(String name) {
        return fixture("parity", name, "tools/parity_fixtures.py");
    }

    /** Fixture {@code dir/name} on the test class path; missing, the message names the {@code tool} that writes it. */
    static Path fixture(String dir, String name, String tool) {
        URL url = OfficialParityTest.class.getClassLoader().getResource(dir + "/" + name);
        if (url == null) {
            throw new IllegalStateException("missing fixture " + dir + "/" + name
                    + "; run /usr/bin/python3 " + tool + " (see its header)");
        }
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A .npy fixture written by numpy, read with DJL's own decoder. */
    static NDArray npy(NDManager manager, String name) {
        return npy(manager, file(name));
    }

    /** The .npy file {@code file}, read with DJL's own decoder. */
    static NDArray npy(NDManager manager, Path file) {
        try {
            NDList list = NDList.decode(manager, Files.readAllBytes(file));
            return list.singletonOrThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
