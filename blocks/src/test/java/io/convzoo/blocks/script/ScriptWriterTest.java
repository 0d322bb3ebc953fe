package io.convzoo.blocks.script;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** What the writer emits for a residual tail (conv, residual add, ReLU), on CPU and on a GPU. */
class ScriptWriterTest {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape ZERO = new Shape(0, 0);

    /** conv1 → ReLU, conv2, + identity, ReLU: the bottleneck tail every family ends with. */
    private static String residualTail(ScriptWriter w) {
        String y = w.relu(w.conv2d("x", "W1", "None", ONE, ONE, ONE, 1));
        y = w.conv2d(y, "W2", "B2", ONE, ZERO, ONE, 4);
        y = w.relu(w.add(y, w.share("x")));
        w.returns(y);
        return w.body();
    }

    @Test
    void onCpuTheReluAndTheResidualAddFuseIntoTheConvs() {
        String noScalars = "annotate(List[Optional[number]], [])";
        assertEquals(""
                + "    v0 = ops.mkldnn._convolution_pointwise(x, W1, None, [1, 1], [1, 1], [1, 1], 1, \"relu\", "
                + noScalars + ", \"\")\n"
                + "    v1 = ops.mkldnn._convolution_pointwise(v0, x, W2, B2, [0, 0], [1, 1], [1, 1], 4, \"add\", 1.0, "
                + "\"relu\", " + noScalars + ", \"\")\n"
                + "    return v1\n", residualTail(new ScriptWriter(Device.cpu())));
    }

    @Test
    void onAGpuTheOpsStaySeparateAndInPlace() {
        assertEquals(""
                + "    v0 = torch.conv2d(x, W1, None, [1, 1], [1, 1], [1, 1], 1)\n"
                + "    v1 = torch.relu_(v0)\n"
                + "    v2 = torch.conv2d(v1, W2, B2, [1, 1], [0, 0], [1, 1], 4)\n"
                + "    v3 = torch.add_(v2, x)\n"
                + "    v4 = torch.relu_(v3)\n"
                + "    return v4\n", residualTail(new ScriptWriter(Device.gpu())));
    }

    @Test
    void anAddOfTwoEarlierValuesIsNotFused() {
        ScriptWriter w = new ScriptWriter(Device.cpu());
        String a = w.conv2d("x", "W1", "None", ONE, ZERO, ONE, 1);
        String b = w.conv2d("x", "W2", "None", ONE, ZERO, ONE, 1);
        w.returns(w.relu(w.add(a, w.let("torch.sigmoid(" + b + ")"))));
        assertEquals(""
                + "    v0 = torch.conv2d(x, W1, None, [1, 1], [0, 0], [1, 1], 1)\n"
                + "    v1 = torch.conv2d(x, W2, None, [1, 1], [0, 0], [1, 1], 1)\n"
                + "    v2 = torch.sigmoid(v1)\n"
                + "    v3 = torch.add_(v0, v2)\n"
                + "    v4 = torch.relu_(v3)\n"
                + "    return v4\n", w.body());
    }
}
