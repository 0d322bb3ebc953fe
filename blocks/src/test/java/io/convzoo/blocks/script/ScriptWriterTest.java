package io.convzoo.blocks.script;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Where the writer modifies values in place: only on the ones a statement of its own made, read once. */
class ScriptWriterTest {

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape ZERO = new Shape(0, 0);

    @Test
    void residualTailWorksInPlaceOnFreshValuesOnly() {
        ScriptWriter w = new ScriptWriter(Device.cpu());
        String x = w.share("x");
        String y = w.relu(w.conv2d(x, new Shape(8, 8, 3, 3), "W1", "None", ONE, ONE, ONE, 1));
        y = w.conv2d(y, new Shape(8, 2, 1, 1), "W2", "B2", ONE, ZERO, ONE, 4);
        w.returns(w.relu(w.add(y, x)));
        assertEquals(""
                + "    v0 = torch.conv2d(x, W1, None, [1, 1], [1, 1], [1, 1], 1)\n"
                + "    v1 = torch.relu_(v0)\n"
                + "    v2 = torch.conv2d(v1, W2, B2, [1, 1], [0, 0], [1, 1], 4)\n"
                + "    v3 = torch.add_(v2, x)\n"
                + "    v4 = torch.relu_(v3)\n"
                + "    return v4\n", w.body());
    }

    @Test
    void sharedOrForeignValuesAreNeverOverwritten() {
        ScriptWriter w = new ScriptWriter(Device.cpu());
        String input = w.relu("x"); // the forward's input: not made by the script
        String shared = w.share(w.conv2d(input, new Shape(8, 8, 1, 1), "W", "None", ONE, ZERO, ONE, 1));
        String sum = w.add(shared, input);
        w.returns(w.relu(w.add(sum, shared)));
        assertEquals(""
                + "    v0 = torch.relu(x)\n"
                + "    v1 = torch.conv2d(v0, W, None, [1, 1], [0, 0], [1, 1], 1)\n"
                + "    v2 = torch.add(v1, v0)\n"
                + "    v3 = torch.add_(v2, v1)\n"
                + "    v4 = torch.relu_(v3)\n"
                + "    return v4\n", w.body());
    }

    /** A grouped 5×5 conv with 2 outputs per group is written in its depthwise-per-output form on the CPU. */
    @Test
    void fewOutputsPerGroupAreWrittenAsDepthwiseConvsAndGroupSums() {
        ScriptWriter w = new ScriptWriter(Device.cpu());
        w.returns(w.conv2d("x", new Shape(8, 4, 5, 5), "W", "B", ONE, new Shape(2, 2), ONE, 4));
        assertEquals(""
                + "    v0 = x.is_contiguous(memory_format=2)\n"
                + "    v1 = torch.conv2d(x, W.reshape([4, 2, 4, 5, 5]).select(1, 0).reshape([16, 1, 5, 5]), None, "
                + "[1, 1], [2, 2], [1, 1], 16)\n"
                + "    v2 = v1.permute([0, 2, 3, 1]).reshape([v1.size(0), v1.size(2), v1.size(3), 4, 4]).sum(4) if v0 "
                + "else v1.reshape([v1.size(0), 4, 4, v1.size(2), v1.size(3)]).sum(2)\n"
                + "    v3 = torch.conv2d(x, W.reshape([4, 2, 4, 5, 5]).select(1, 1).reshape([16, 1, 5, 5]), None, "
                + "[1, 1], [2, 2], [1, 1], 16)\n"
                + "    v4 = v3.permute([0, 2, 3, 1]).reshape([v3.size(0), v3.size(2), v3.size(3), 4, 4]).sum(4) if v0 "
                + "else v3.reshape([v3.size(0), 4, 4, v3.size(2), v3.size(3)]).sum(2)\n"
                + "    v5 = torch.stack([v2, v4], -1).flatten(3, 4).permute([0, 3, 1, 2]) if v0 "
                + "else torch.stack([v2, v4], 2).flatten(1, 2)\n"
                + "    v6 = v5.add_(B.reshape([-1, 1, 1]))\n"
                + "    return v6\n", w.body());
    }

    /** On the CPU a pool runs on the channels-last kernel unless x already has its channels innermost. */
    @Test
    void poolsGoThroughChannelsLastOnCpuOnly() {
        ScriptWriter cpu = new ScriptWriter(Device.cpu());
        cpu.returns(cpu.maxPool2d("x", 3, 2, 1));
        assertEquals(""
                + "    v0 = x.stride(1) == 1\n"
                + "    v1 = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False) if v0 else "
                + "torch.max_pool2d(x.contiguous(memory_format=2), [3, 3], [2, 2], [1, 1], [1, 1], False).contiguous()\n"
                + "    return v1\n", cpu.body());
        ScriptWriter gpu = new ScriptWriter(Device.gpu());
        gpu.returns(gpu.avgPool2d("x", 2, 2, 0, true, false));
        assertEquals("    v0 = torch.avg_pool2d(x, [2, 2], [2, 2], [0, 0], True, False, None)\n    return v0\n", gpu.body());
    }
}
