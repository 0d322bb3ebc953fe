package io.convzoo.blocks.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive writer against libtorch's loader: constants of several shapes and sizes, computed in Java. */
class TorchScriptArchiveTest {

    @TempDir
    Path dir;

    @Test
    void libtorchLoadsTheArchiveAndItsConstants() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] scale = TestSupport.randomFloats(6, 1);
            float[] shift = TestSupport.randomFloats(3, 2);
            // 70,000 elements: sizes and strides that need 4-byte pickle integers.
            float[] big = TestSupport.randomFloats(70_000, 3);
            float[] xs = TestSupport.randomFloats(6, 4);
            NDArray c0 = manager.create(scale, new Shape(2, 3));
            NDArray c1 = manager.create(shift, new Shape(3));
            NDArray c2 = manager.create(big, new Shape(7, 10_000));
            String body = "    v0 = torch.add(torch.mul(x, CONSTANTS.c0), CONSTANTS.c1)\n"
                    + "    return torch.add(v0, torch.sum(CONSTANTS.c2.select(0, 6)))\n";
            TorchScriptArchive.write(dir.resolve("m.pt"), "Model", body, List.of(c0, c1, c2));

            double lastRow = 0;
            for (int i = 6 * 10_000; i < 7 * 10_000; i++) {
                lastRow += big[i];
            }
            try (Model model = Model.newInstance("archive-test", manager.getDevice(), "PyTorch")) {
                model.load(dir, "m", Map.of("mapLocation", "true"));
                NDArray x = manager.create(xs, new Shape(2, 3));
                float[] y = model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false)
                        .head().toFloatArray();
                float[] expected = new float[6];
                for (int i = 0; i < 6; i++) {
                    expected[i] = (float) (xs[i] * scale[i] + shift[i % 3] + lastRow);
                }
                TestSupport.assertClose(expected, y, 1e-3);
            }
        }
    }

    @Test
    void unsupportedTypeIsNamed() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray flags = manager.create(new boolean[] {true, false});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TorchScriptArchive.write(dir.resolve("b.pt"), "Model", "    return x\n", List.of(flags)));
            assertEquals("TorchScript export: unsupported data type " + DataType.BOOLEAN, e.getMessage());
            assertFalse(Files.exists(dir.resolve("b.pt")), "nothing is written");
        }
    }
}
