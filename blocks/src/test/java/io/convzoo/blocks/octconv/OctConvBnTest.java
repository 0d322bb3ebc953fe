package io.convzoo.blocks.octconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.octconv.OctConvReference.T;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OctConvBn / OctConvBnAct: the official Conv_BN / Conv_BN_ACT names, counts and values. */
class OctConvBnTest {

    private static OctConv oct(int in, int out, double aIn, double aOut) {
        return OctConv.builder().setChannels(in, out).setKernel(3).optPadding(1).optAlpha(aIn, aOut).build();
    }

    private static List<String> parameterNames(Block b) {
        List<String> names = new ArrayList<>();
        for (var p : b.getParameters()) {
            names.add(p.getKey());
        }
        return names;
    }

    private static List<String> childNames(Block b) {
        List<String> names = new ArrayList<>();
        for (Pair<String, Block> c : b.getChildren()) {
            names.add(c.getKey().substring(2));
        }
        return names;
    }

    @Test
    void namesShapesAndCountsFollowConvBn() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConvBn normal = new OctConvBn(oct(16, 12, 0.5, 0.5));
            Shape[] in = {new Shape(2, 8, 8, 8), new Shape(2, 8, 4, 4)};
            TestSupport.init(normal, m, in);
            assertEquals(List.of("conv", "bn_h", "bn_l"), childNames(normal));
            assertArrayEquals(new Shape[] {new Shape(2, 6, 8, 8), new Shape(2, 6, 4, 4)}, normal.getOutputShapes(in));
            // conv 16*12*9 + two BNs of 6 channels (gamma, beta).
            assertEquals(16 * 12 * 9 + 2 * 2 * 6, Layers.countParameters(normal));

            OctConvBnAct last = new OctConvBnAct(oct(16, 8, 0.5, 0));
            TestSupport.init(last, m, in);
            assertEquals(List.of("conv", "bn_h", "act"), childNames(last));
            assertArrayEquals(new Shape[] {new Shape(2, 8, 8, 8)}, last.getOutputShapes(in));
            assertEquals(16 * 8 * 9 + 2 * 8, Layers.countParameters(last));
            assertTrue(parameterNames(last).contains("02bn_h_gamma"), parameterNames(last).toString());

            OctConvBnAct first = new OctConvBnAct(oct(3, 8, 0, 0.25));
            TestSupport.init(first, m, new Shape(1, 3, 4, 4));
            assertEquals(List.of("conv", "bn_h", "bn_l", "act"), childNames(first));
            assertArrayEquals(new Shape[] {new Shape(1, 6, 4, 4), new Shape(1, 2, 2, 2)},
                    first.getOutputShapes(new Shape[] {new Shape(1, 3, 4, 4)}));
        }
    }

    @Test
    void inferenceEqualsConvThenFreshBatchNormThenRelu() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConv conv = oct(16, 16, 0.5, 0.5);
            OctConvBnAct unit = new OctConvBnAct(conv);
            Shape[] in = {new Shape(2, 8, 8, 8), new Shape(2, 8, 4, 4)};
            TestSupport.init(unit, m, in);
            NDArray xh = TestSupport.random(m, in[0], 1);
            NDArray xl = TestSupport.random(m, in[1], 2);
            NDList y = TestSupport.infer(unit, m, xh, xl);
            T[] ref = OctConvReference.forward(conv, new T(xh.toFloatArray(), 2, 8, 8, 8),
                    new T(xl.toFloatArray(), 2, 8, 4, 4), 3, 1);
            // Fresh running statistics (mean 0, var 1), gamma 1, beta 0: y = relu(x / sqrt(1 + eps)).
            double scale = 1 / Math.sqrt(1 + 1e-5);
            for (int part = 0; part < 2; part++) {
                float[] expected = ref[part].v().clone();
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = (float) Math.max(0, expected[i] * scale);
                }
                TestSupport.assertClose(expected, y.get(part).toFloatArray(), 1e-4);
            }
        }
    }

    @Test
    void zeroGammaStartsBothBatchNormsAtZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConvBn unit = new OctConvBn(oct(16, 16, 0.5, 0.5), true);
            Shape[] in = {new Shape(1, 8, 4, 4), new Shape(1, 8, 2, 2)};
            TestSupport.init(unit, m, in);
            assertEquals(0f, unit.getParameters().get("02bn_h_gamma").getArray().abs().sum().getFloat());
            assertEquals(0f, unit.getParameters().get("03bn_l_gamma").getArray().abs().sum().getFloat());
        }
    }

    @Test
    void badInputNamesTheBlock() {
        try (NDManager m = NDManager.newBaseManager()) {
            OctConvBn unit = new OctConvBn(oct(16, 16, 0.5, 0.5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> unit.getOutputShapes(new Shape[] {new Shape(1, 8, 8, 8)}));
            assertTrue(e.getMessage().startsWith("OctConv(16->16") && e.getMessage().contains("low (N, 8, H/2, W/2)"),
                    e.getMessage());
        }
    }

    @Test
    void trainsAsConvBnAndConvBnAct() {
        OctConvBn bn = new OctConvBn(oct(8, 8, 0.5, 0.5));
        TestSupport.assertTrains(new SingleArrayAdapter(bn, 4, true), new Shape(2, 8, 8, 8), 5, 0.05f);
        OctConvBnAct act = new OctConvBnAct(oct(8, 8, 0, 0.5));
        TestSupport.assertTrains(new SingleArrayAdapter(act, 8, false), new Shape(2, 8, 8, 8), 5, 0.05f);
    }
}
