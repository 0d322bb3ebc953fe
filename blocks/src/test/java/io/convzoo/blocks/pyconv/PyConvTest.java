package io.convzoo.blocks.pyconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.NaiveConv;
import io.convzoo.blocks.Resampling;
import io.convzoo.blocks.layers.AdaptiveAvgPool2d;
import io.convzoo.blocks.TestSupport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class PyConvTest {

    /** 16 -> 4 + 4 + 8 channels, kernels 3/5/7, groups 1/4/8, unequal split as in PyConv3. */
    private static PyConv threeLevels(int stride) {
        return PyConv.builder().addLevel(4, 3, 1).addLevel(4, 5, 4).addLevel(8, 7, 8).optStride(stride).build();
    }

    @Test
    void shapesParametersAndLevelInfo() {
        PyConv p = threeLevels(2);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(2, 16, 9, 9);
            TestSupport.init(p, m, in);
            // (9 + 2*(k/2) - k) / 2 + 1 = 5 for every odd k
            assertEquals(new Shape(2, 16, 5, 5), p.getOutputShapes(new Shape[] {in})[0]);
            assertEquals(new Shape(2, 16, 5, 5), TestSupport.infer(p, m, TestSupport.random(m, in, 1)).head().getShape());
            // 4*16*3*3 + 4*(16/4)*5*5 + 8*(16/8)*7*7 = 576 + 400 + 784
            assertEquals(1760, Layers.countParameters(p));
            // MACs: the parameter counts times the 25 output positions, per sample
            assertEquals(2 * 1760 * 25, p.macs(in));
        }
        assertArrayEquals(new int[] {3, 5, 7}, p.getKernels());
        assertArrayEquals(new int[] {1, 4, 8}, p.getGroups());
        assertArrayEquals(new int[] {4, 4, 8}, p.getOutChannels());
        assertEquals(16, p.getTotalOutChannels());
        assertEquals(2, p.getStride());
        List<String> names = new ArrayList<>();
        for (Pair<String, Block> c : p.getChildren()) {
            names.add(c.getKey().substring(2));
        }
        assertEquals(List.of("conv2_1", "conv2_2", "conv2_3"), names);
    }

    @Test
    void everyLevelMatchesNaiveConvAndLevelsAreConcatenatedInOrder() {
        PyConv p = threeLevels(2);
        int n = 2;
        int c = 16;
        int h = 7;
        int w = 6;
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(n, c, h, w);
            TestSupport.init(p, m, in);
            float[] x = TestSupport.randomFloats((int) in.size(), 3);
            NDArray out = TestSupport.infer(p, m, m.create(x, in)).head();
            Shape os = out.getShape();
            int oh = (int) os.get(2);
            int ow = (int) os.get(3);
            assertEquals(new Shape(n, 16, 4, 3), os);
            float[] expected = new float[(int) os.size()];
            int channelOffset = 0;
            for (int i = 0; i < p.getLevels().size(); i++) {
                PyConv.Level level = p.getLevels().get(i);
                float[] weight = p.getLevelConv(i).getParameters().get("weight").getArray().toFloatArray();
                float[] levelOut = NaiveConv.conv2d(x, n, c, h, w, weight, level.outChannels(), level.kernel(),
                        level.kernel(), null, 2, level.padding(), 1, level.groups());
                int plane = oh * ow;
                for (int b = 0; b < n; b++) {
                    System.arraycopy(levelOut, b * level.outChannels() * plane, expected,
                            (b * 16 + channelOffset) * plane, level.outChannels() * plane);
                }
                channelOffset += level.outChannels();
            }
            TestSupport.assertClose(expected, out.toFloatArray(), 1e-4);
        }
    }

    @Test
    void officialSplitAndSingleLevelIsAPlainConv() {
        PyConv four = PyConv.official(64, new int[] {3, 5, 7, 9}, new int[] {1, 4, 8, 16}, 2).build();
        assertArrayEquals(new int[] {16, 16, 16, 16}, four.getOutChannels());
        PyConv three = PyConv.official(64, new int[] {3, 5, 7}, new int[] {1, 4, 8}, 1).build();
        assertArrayEquals(new int[] {16, 16, 32}, three.getOutChannels());
        PyConv two = PyConv.official(64, new int[] {3, 5}, new int[] {1, 4}, 1).build();
        assertArrayEquals(new int[] {32, 32}, two.getOutChannels());
        assertInstanceOf(PyConv.class, PyConv.official(64, new int[] {3, 5}, new int[] {1, 4}, 1).buildLayer());
        Block single = PyConv.official(64, new int[] {3}, new int[] {1}, 2).buildLayer();
        assertInstanceOf(Conv2d.class, single);
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(single, m, new Shape(1, 8, 8, 8));
            assertEquals(new Shape(64, 8, 3, 3), single.getParameters().get("weight").getArray().getShape());
            assertEquals(new Shape(1, 64, 4, 4), single.getOutputShapes(new Shape[] {new Shape(1, 8, 8, 8)})[0]);
        }
    }

    @Test
    void badConfigurationAndBadInputNameTheBlockAndTheExpectedShape() {
        assertMessage(() -> PyConv.builder().addLevel(6, 3, 4), "PyConv", "divisible");
        assertMessage(() -> PyConv.builder().addLevel(4, 4, 1), "PyConv", "odd");
        assertMessage(() -> PyConv.builder().build(), "PyConv", "level");
        PyConv p = threeLevels(1);
        // 12 channels are not divisible by level 3's 8 groups
        assertMessage(() -> p.getOutputShapes(new Shape[] {new Shape(1, 12, 8, 8)}), "PyConv", "(N, C, H, W)", "divisible by 8");
        assertMessage(() -> p.getOutputShapes(new Shape[] {new Shape(16, 8, 8)}), "PyConv", "(N, C, H, W)", "rank 3");
        try (NDManager m = NDManager.newBaseManager()) {
            TestSupport.init(p, m, new Shape(1, 16, 8, 8));
            assertMessage(() -> TestSupport.infer(p, m, m.zeros(new Shape(1, 8, 8, 8))), "PyConv", "C=16");
            assertMessage(() -> TestSupport.infer(p, m, m.zeros(new Shape(16, 8, 8))), "PyConv", "rank 3");
            assertMessage(() -> p.getOutputShapes(new Shape[] {new Shape(1, 32, 8, 8)}), "PyConv", "C=16");
        }
        PyConv q = threeLevels(1);
        try (NDManager m = NDManager.newBaseManager()) {
            assertMessage(() -> TestSupport.init(q, m, new Shape(1, 20, 8, 8)), "PyConv", "divisible by 8");
        }
    }

    @Test
    void adaptivePoolMatchesNaiveBinsForEveryPath() {
        int[][] cases = {{12, 10, 9, 9}, {18, 9, 9, 9}, {4, 5, 9, 9}, {9, 9, 9, 9}, {7, 11, 3, 2}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] cs : cases) {
                int h = cs[0];
                int w = cs[1];
                int oh = cs[2];
                int ow = cs[3];
                Shape in = new Shape(2, 3, h, w);
                float[] x = TestSupport.randomFloats((int) in.size(), h * 31L + w);
                NDArray out = Resampling.adaptiveAvgPool(m.create(x, in), oh, ow);
                assertEquals(new Shape(2, 3, oh, ow), out.getShape());
                TestSupport.assertClose(naiveAdaptiveAvgPool(x, 6, h, w, oh, ow), out.toFloatArray(), 1e-5);
            }
            AdaptiveAvgPool2d block = new AdaptiveAvgPool2d(9, 9);
            assertEquals(new Shape(1, 4, 9, 9), block.getOutputShapes(new Shape[] {new Shape(1, 4, 20, 13)})[0]);
            assertMessage(() -> block.getOutputShapes(new Shape[] {new Shape(4, 20, 13)}), "AdaptiveAvgPool2d", "(N, C, H, W)");
        }
        // PyTorch's bins for 10 -> 9: [0,2), [1,3), ..., [8,10)
        assertEquals(1, Resampling.binStart(1, 10, 9));
        assertEquals(3, Resampling.binEnd(1, 10, 9));
    }

    /** PyTorch's definition, one output element at a time. */
    private static float[] naiveAdaptiveAvgPool(float[] x, int planes, int h, int w, int oh, int ow) {
        float[] out = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                int y0 = (int) Math.floor((double) i * h / oh);
                int y1 = (int) Math.ceil((double) (i + 1) * h / oh);
                for (int j = 0; j < ow; j++) {
                    int x0 = (int) Math.floor((double) j * w / ow);
                    int x1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    double sum = 0;
                    for (int y = y0; y < y1; y++) {
                        for (int xx = x0; xx < x1; xx++) {
                            sum += x[(p * h + y) * w + xx];
                        }
                    }
                    out[(p * oh + i) * ow + j] = (float) (sum / ((y1 - y0) * (x1 - x0)));
                }
            }
        }
        return out;
    }

    @Test
    void bilinearUpsamplingAlignsCorners() {
        int h = 3;
        int w = 4;
        int oh = 7;
        int ow = 5;
        float[] x = TestSupport.randomFloats(2 * h * w, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = Resampling.bilinearAligned(m.create(x, new Shape(1, 2, h, w)), oh, ow);
            assertEquals(new Shape(1, 2, oh, ow), out.getShape());
            float[] expected = new float[2 * oh * ow];
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < oh; i++) {
                    double sy = (double) i * (h - 1) / (oh - 1);
                    int y0 = (int) Math.floor(sy);
                    int y1 = Math.min(y0 + 1, h - 1);
                    double fy = sy - y0;
                    for (int j = 0; j < ow; j++) {
                        double sx = (double) j * (w - 1) / (ow - 1);
                        int x0 = (int) Math.floor(sx);
                        int x1 = Math.min(x0 + 1, w - 1);
                        double fx = sx - x0;
                        double top = x[(p * h + y0) * w + x0] * (1 - fx) + x[(p * h + y0) * w + x1] * fx;
                        double bottom = x[(p * h + y1) * w + x0] * (1 - fx) + x[(p * h + y1) * w + x1] * fx;
                        expected[(p * oh + i) * ow + j] = (float) (top * (1 - fy) + bottom * fy);
                    }
                }
            }
            TestSupport.assertClose(expected, out.toFloatArray(), 1e-5);
        }
    }

    @Test
    void globalBlockShapesParametersAndOfficialPaths() {
        GlobalPyConv g = new GlobalPyConv(16, 64, 9, PyramidSpec.OFFICIAL_HEAD);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(2, 16, 12, 10);
            TestSupport.init(g, m, in);
            assertEquals(new Shape(2, 64, 12, 10), g.getOutputShapes(new Shape[] {in})[0]);
            NDArray out = TestSupport.infer(g, m, TestSupport.random(m, in, 2)).head();
            assertEquals(new Shape(2, 64, 12, 10), out.getShape());
            // 1x1 16->64: 1024; PyConv4(64): 16*64*9 + 16*16*25 + 16*8*49 + 16*4*81 = 27072;
            // 1x1 64->64: 4096; three BNs: 3*128
            assertEquals(1024 + 27072 + 4096 + 3 * 128, Layers.countParameters(g));
        }
        List<String> paths = paths(g);
        assertEquals(List.of("features.1.weight", "features.2.gamma", "features.2.beta", "features.2.runningMean",
                "features.2.runningVar", "features.4.conv2_1.weight", "features.4.conv2_2.weight",
                "features.4.conv2_3.weight", "features.4.conv2_4.weight"), paths.subList(0, 9));
        assertEquals("features.8.runningVar", paths.get(paths.size() - 1));
        assertMessage(() -> g.getOutputShapes(new Shape[] {new Shape(2, 8, 12, 10)}), "GlobalPyConv", "C=16");
        try (NDManager m = NDManager.newBaseManager()) {
            assertMessage(() -> TestSupport.infer(g, m, m.zeros(new Shape(16, 12, 10))), "GlobalPyConv", "C=16");
        }
    }

    @Test
    void localBlockAndHeadShapesParametersAndOfficialPaths() {
        LocalPyConv l = new LocalPyConv(256, 32);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(1, 256, 6, 6);
            TestSupport.init(l, m, in);
            assertEquals(new Shape(1, 32, 6, 6), TestSupport.infer(l, m, TestSupport.random(m, in, 4)).head().getShape());
            // 1x1 256->64: 16384; PyConv4(64): 27072; 1x1 64->32: 2048; BNs 128 + 128 + 64
            assertEquals(16384 + 27072 + 2048 + 320, Layers.countParameters(l));
        }
        assertEquals(List.of("layers.0.weight", "layers.1.gamma", "layers.1.beta", "layers.1.runningMean",
                "layers.1.runningVar", "layers.3.conv2_1.weight"), paths(l).subList(0, 6));
        assertMessage(() -> l.getOutputShapes(new Shape[] {new Shape(1, 128, 6, 6)}), "LocalPyConv", "C=256");

        PyConvHead head = new PyConvHead(32, 8, 16, 16, 9, SMALL);
        try (NDManager m = NDManager.newBaseManager()) {
            Shape in = new Shape(2, 32, 10, 11);
            TestSupport.init(head, m, in);
            assertEquals(new Shape(2, 8, 10, 11), TestSupport.infer(head, m, TestSupport.random(m, in, 6)).head().getShape());
            // the merge conv sees the concatenation: 16 local + 16 global channels
            assertEquals(new Shape(8, 32, 3, 3), findWeight(head, "merge_context.features.0.weight"));
        }
        List<String> headPaths = paths(head);
        assertEquals("local_context.layers.0.weight", headPaths.get(0));
        assertTrue(headPaths.contains("global_context.features.4.conv2_4.weight"));
    }

    /** A pyramid small enough for 8-channel tests. */
    private static final PyramidSpec SMALL = new PyramidSpec(new int[] {3, 5, 7, 9}, new int[] {1, 1, 2, 2});

    @Test
    void pyConvTrains() {
        TestSupport.assertTrains(threeLevels(1), new Shape(2, 16, 6, 6), 5, 0.05f);
    }

    @Test
    void localBlockTrains() {
        TestSupport.assertTrains(new LocalPyConv(16, 8, 2, SMALL), new Shape(2, 16, 6, 6), 5, 0.05f);
    }

    @Test
    void globalBlockTrains() {
        TestSupport.assertTrains(new GlobalPyConv(8, 8, 9, SMALL), new Shape(2, 8, 10, 12), 5, 0.05f);
    }

    @Test
    void headTrains() {
        TestSupport.assertTrains(new PyConvHead(32, 8, 8, 8, 9, SMALL), new Shape(2, 32, 10, 10), 5, 0.05f);
    }

    /** Parameter paths: child names without DJL's two-digit prefix, joined by dots. */
    private static List<String> paths(Block block) {
        List<String> out = new ArrayList<>();
        collect(block, "", out);
        return out;
    }

    private static void collect(Block block, String prefix, List<String> out) {
        for (Pair<String, ai.djl.nn.Parameter> p : block.getDirectParameters()) {
            out.add(prefix + p.getKey());
        }
        for (Pair<String, Block> c : block.getChildren()) {
            collect(c.getValue(), prefix + c.getKey().substring(2) + ".", out);
        }
    }

    private static Shape findWeight(Block block, String path) {
        Block current = block;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            Block next = null;
            for (Pair<String, Block> c : current.getChildren()) {
                if (c.getKey().substring(2).equals(parts[i])) {
                    next = c.getValue();
                }
            }
            assertTrue(next != null, "no child " + parts[i] + " in " + path);
            current = next;
        }
        return current.getParameters().get(parts[parts.length - 1]).getArray().getShape();
    }

    private static void assertMessage(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }
}
