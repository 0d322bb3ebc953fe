package io.convzoo.blocks;

import static io.convzoo.blocks.TestSupport.assertClose;
import static io.convzoo.blocks.TestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import io.convzoo.blocks.GroupedConvForms.Form;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GroupedConvFormsTest {

    @Test
    void denseKernelHoldsEachGroupOnTheDiagonalAndZerosElsewhere() {
        try (NDManager m = NDManager.newBaseManager()) {
            int out = 6;
            int inPerGroup = 2;
            int groups = 3;
            float[] w = randomFloats(out * inPerGroup * 5 * 5, 3);
            float[] dense = GroupedConvForms.expand(m.create(w, new Shape(out, inPerGroup, 5, 5)), groups)
                    .toFloatArray();
            assertEquals(out * inPerGroup * groups * 25, dense.length);
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < inPerGroup * groups; i++) {
                    for (int k = 0; k < 25; k++) {
                        float expected = i / inPerGroup == o / (out / groups)
                                ? w[(o * inPerGroup + i % inPerGroup) * 25 + k] : 0f;
                        assertEquals(expected, dense[(o * inPerGroup * groups + i) * 25 + k], 0f, "o=" + o + " i=" + i);
                    }
                }
            }
        }
    }

    /** in, out, groups, kernel, stride, padding, dilation, and the form the CPU rule picks. */
    static Stream<Arguments> forms() {
        return Stream.of(
                Arguments.of(16, 12, 4, 7, 2, 3, 1, Form.BLOCK_DIAGONAL),
                Arguments.of(16, 4, 4, 7, 2, 3, 1, Form.DEPTHWISE_PER_OUTPUT),
                Arguments.of(16, 8, 4, 5, 1, 4, 2, Form.DEPTHWISE_PER_OUTPUT),
                Arguments.of(16, 8, 4, 3, 1, 1, 1, Form.GROUPED));
    }

    @ParameterizedTest(name = "{0}->{1} g{2} {3}x{3}: {7}")
    @MethodSource("forms")
    void everyFormEqualsTheNaiveGroupedConv(int c, int co, int groups, int k, int stride, int pad, int dil, Form form) {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = 2;
            int hw = 9;
            float[] x = randomFloats(n * c * hw * hw, 1);
            float[] w = randomFloats(co * (c / groups) * k * k, 2);
            float[] b = randomFloats(co, 5);
            float[] expected = NaiveConv.conv2d(x, n, c, hw, hw, w, co, k, k, b, stride, pad, dil, groups);
            NDArray xs = m.create(x, new Shape(n, c, hw, hw));
            NDArray ws = m.create(w, new Shape(co, c / groups, k, k));
            assertEquals(form, GroupedConvForms.formFor(xs.getDevice(), ws.getShape(), groups, false));
            NDArray y = GroupedConvForms.conv2d(xs, ws, m.create(b), new Shape(stride, stride), new Shape(pad, pad),
                    new Shape(dil, dil), groups, false);
            long side = (hw + 2 * pad - dil * (k - 1) - 1) / stride + 1;
            assertArrayEquals(new long[] {n, co, side, side}, y.getShape().getShape());
            assertClose(expected, y.toFloatArray(), 1e-4);
        }
    }

    @Test
    void depthwiseKernelOfOutputJHoldsEachGroupsKernelsForIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            int groups = 3;
            int outPerGroup = 2;
            int inPerGroup = 4;
            float[] w = randomFloats(groups * outPerGroup * inPerGroup * 9, 4);
            NDArray weight = m.create(w, new Shape(groups * outPerGroup, inPerGroup, 3, 3));
            for (int j = 0; j < outPerGroup; j++) {
                float[] kernel = GroupedConvForms.depthwiseKernel(weight, groups, j).toFloatArray();
                assertEquals(groups * inPerGroup * 9, kernel.length);
                for (int c = 0; c < groups * inPerGroup; c++) {
                    int o = (c / inPerGroup) * outPerGroup + j;
                    for (int e = 0; e < 9; e++) {
                        assertEquals(w[(o * inPerGroup + c % inPerGroup) * 9 + e], kernel[c * 9 + e], 0f);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} outputs per group")
    @ValueSource(ints = {1, 2, 3})
    void gradientsReachOnlyTheGroupedWeightAndMatchTheGroupedOp(int outPerGroup) {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape xShape = new Shape(2, 8, 6, 6);
            Shape wShape = new Shape(4 * outPerGroup, 2, 5, 5);
            Form form = GroupedConvForms.formFor(Device.cpu(), wShape, 4, false);
            assertEquals(outPerGroup <= 2 ? Form.DEPTHWISE_PER_OUTPUT : Form.BLOCK_DIAGONAL, form);
            float[][] grads = new float[2][];
            float[][] inputGrads = new float[2][];
            for (int engineOp = 0; engineOp < 2; engineOp++) {
                NDArray x = m.create(randomFloats((int) xShape.size(), 7), xShape);
                NDArray w = m.create(randomFloats((int) wShape.size(), 8), wShape);
                x.setRequiresGradient(true);
                w.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = engineOp == 0
                            ? Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(2, 2), new Shape(1, 1), 4).head()
                            : GroupedConvForms.conv2d(form, x, w, null, new Shape(1, 1), new Shape(2, 2), new Shape(1, 1), 4);
                    gc.backward(y.mul(y).sum());
                }
                grads[engineOp] = w.getGradient().toFloatArray();
                inputGrads[engineOp] = x.getGradient().toFloatArray();
            }
            assertEquals(wShape.size(), grads[1].length);
            assertClose(grads[0], grads[1], 1e-3);
            assertClose(inputGrads[0], inputGrads[1], 1e-3);
        }
    }

    @Test
    void ruleInInferenceAndTrainingOnCpuOnly() {
        Device cpu = Device.cpu();
        assertEquals(Form.BLOCK_DIAGONAL, GroupedConvForms.formFor(cpu, 32, 24, 8, 9, 9, false), "4 in, 3 out per group");
        assertEquals(Form.BLOCK_DIAGONAL, GroupedConvForms.formFor(cpu, 128, 64, 16, 7, 7, false), "8 in, 4 out per group");
        assertEquals(Form.DEPTHWISE_PER_OUTPUT, GroupedConvForms.formFor(cpu, 64, 16, 16, 9, 9, false), "1 out per group");
        assertEquals(Form.DEPTHWISE_PER_OUTPUT, GroupedConvForms.formFor(cpu, 256, 128, 64, 7, 7, false), "2 out, 64 groups");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(cpu, 64, 64, 4, 5, 5, false), "16 in, 16 out per group");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(cpu, 128, 64, 32, 3, 3, false), "3x3 kernel");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(cpu, 64, 64, 64, 9, 9, false), "depthwise already");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(cpu, 32, 16, 1, 9, 9, false), "dense already");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(Device.gpu(), 64, 16, 16, 9, 9, false), "GPU keeps the grouped op");
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(Device.gpu(), 32, 24, 8, 9, 9, false), "GPU keeps the grouped op");
        // Training steps: the depthwise backward is slow, few inputs per group go block-diagonal.
        assertEquals(Form.BLOCK_DIAGONAL, GroupedConvForms.formFor(cpu, 64, 16, 16, 9, 9, true));
        assertEquals(Form.BLOCK_DIAGONAL, GroupedConvForms.formFor(cpu, 32, 8, 4, 5, 5, true));
        assertEquals(Form.GROUPED, GroupedConvForms.formFor(cpu, 256, 64, 64, 5, 5, true), "64 groups");
    }
}
