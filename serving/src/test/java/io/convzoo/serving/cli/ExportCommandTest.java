package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.checkpoint.StateDict;
import io.convzoo.zoo.checkpoint.StateDicts;
import io.convzoo.zoo.checkpoint.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convzoo export} end to end, in process: a checkpoint imported with {@code convzoo import}
 * goes out in every format; the state_dicts hold the imported values under the same keys (plus the
 * BatchNorm counters), the TorchScript file gives the imported model's logits, and a safetensors
 * export imported again predicts the same logits. The PyTorch side (torch.load, the official code,
 * torch.jit.load) is checked by tools/check_export.py on the zoo module's exports.
 */
class ExportCommandTest {

    private static final String ID = "res2net_small";

    @Test
    void everyFormatRoundTrips(@TempDir Path tmp) throws Exception {
        ModelSpec spec = ModelRegistry.get(ID);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(ImportPredictCommandTest.randomInput(2 * 28 * 28, 5), new Shape(2, 1, 28, 28));
            Path checkpoint = tmp.resolve("given.npz");
            float[] expected = ImportPredictCommandTest.writeCheckpoint(spec, spec.defaults(), x, checkpoint, 13);
            Path dir = tmp.resolve("imported");
            assertEquals(0, CliRun.of("import", ID, "--checkpoint", checkpoint.toString(), "--out", dir.toString()).code());

            Path pth = tmp.resolve("out").resolve("model.pth");
            CliRun exported = CliRun.of("export", dir.toString(), "--format", "pth", "--out", pth.toString());
            assertEquals(0, exported.code(), exported.err());
            assertTrue(exported.out().startsWith("wrote pth of " + ID + " to " + pth), exported.out());
            StateDict given = StateDicts.read(checkpoint);
            StateDict written = StateDicts.read(pth);
            assertEquals("torch-zip", written.format());
            long counters = written.keys().stream().filter(k -> k.endsWith(".num_batches_tracked")).count();
            assertTrue(counters > 0, "BatchNorm counters are written");
            assertEquals(given.size() + counters, written.size());
            for (Map.Entry<String, TensorData> e : given.tensors().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), written.get(e.getKey()).toFloatArray(), e.getKey());
            }

            Path script = tmp.resolve("model.torchscript.pt");
            assertEquals(0, CliRun.of("export", dir.toString(), "--format", "torchscript", "--out", script.toString())
                    .code());
            try (Model module = Model.newInstance("exported")) {
                module.load(tmp, script.getFileName().toString(), Map.of("mapLocation", "true"));
                NDArray y = module.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false).head();
                ImportPredictCommandTest.assertClose(expected, y.toFloatArray(), 1e-4);
            }

            Path onnx = tmp.resolve("model.onnx");
            CliRun onnxRun = CliRun.of("export", dir.toString(), "--format", "onnx", "--out", onnx.toString());
            assertEquals(0, onnxRun.code(), onnxRun.err());
            ImportPredictCommandTest.assertClose(expected, runOnOnnxRuntime(onnx, x), 1e-4);

            Path safetensors = tmp.resolve("model.safetensors");
            assertEquals(0, CliRun.of("export", dir.toString(), "--format", "safetensors", "--out",
                    safetensors.toString()).code());
            Path again = tmp.resolve("again");
            CliRun reimported = CliRun.of("import", ID, "--checkpoint", safetensors.toString(), "--out", again.toString());
            assertEquals(0, reimported.code(), reimported.err());
            Path xFile = tmp.resolve("x.npy");
            Path yFile = tmp.resolve("y.npy");
            Npy.write(x, xFile);
            assertEquals(0, CliRun.of("predict", again.toString(), "--input", xFile.toString(), "--output",
                    yFile.toString()).code());
            ImportPredictCommandTest.assertClose(expected, ImportPredictCommandTest.readNpy(yFile), 1e-5);
        }
    }

    @Test
    void badArgumentsAreOneLineErrorsAndWriteNothing(@TempDir Path tmp) {
        Path file = tmp.resolve("m.tflite");
        CliRun format = CliRun.of("export", ID, "--untrained", "--format", "tflite", "--out", file.toString());
        assertEquals(2, format.code());
        assertEquals("convzoo: unknown export format 'tflite'; known: torchscript, pth, safetensors, onnx",
                format.err().strip());
        CliRun unknown = CliRun.of("export", "res2net_smal", "--format", "pth", "--out", file.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("convzoo: unknown model 'res2net_smal'"), unknown.err());
        CliRun directory = CliRun.of("export", ID, "--untrained", "--format", "pth", "--out", tmp.toString());
        assertEquals(2, directory.code());
        assertTrue(directory.err().contains("is a directory"), directory.err());
        assertFalse(Files.exists(file));
    }

    /** The exported file run by ONNX Runtime itself (its input "input", batch and size dynamic). */
    private static float[] runOnOnnxRuntime(Path file, NDArray x) throws Exception {
        ai.onnxruntime.OrtEnvironment env = io.convzoo.zoo.infer.OnnxRuntimeEnvironment.get(); // one per process: ConvZoo's
        try (ai.onnxruntime.OrtSession session = env.createSession(file.toString(), new ai.onnxruntime.OrtSession.SessionOptions());
             ai.onnxruntime.OnnxTensor input = ai.onnxruntime.OnnxTensor.createTensor(env,
                     java.nio.FloatBuffer.wrap(x.toFloatArray()), x.getShape().getShape());
             ai.onnxruntime.OrtSession.Result out = session.run(Map.of("input", input))) {
            assertEquals(List.of("input"), List.copyOf(session.getInputNames()));
            java.nio.FloatBuffer y = ((ai.onnxruntime.OnnxTensor) out.get(0)).getFloatBuffer();
            float[] copy = new float[y.remaining()];
            y.get(copy);
            return copy;
        }
    }
}
