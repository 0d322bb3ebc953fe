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
        String y = w.relu(w.conv2d(x, "W1", "None", ONE, ONE, ONE, 1));
        y = w.conv2d(y, "W2", "B2", ONE, ZERO, ONE, 4);
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
        String shared = w.share(w.conv2d(input, "W", "None", ONE, ZERO, ONE, 1));
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
}
