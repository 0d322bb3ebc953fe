package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.checkpoint.CheckpointExporter.Format;
import io.convzoo.zoo.infer.Inference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Export round trips on the official parity fixtures (reduced configurations of the official code of
 * every family, {@link OfficialParityTest}): the official checkpoint is imported, exported, and
 * <ul>
 *   <li>pth and safetensors read back to the official checkpoint's very keys and values (its
 *       {@code num_batches_tracked} counters included, written as int64 0);</li>
 *   <li>the TorchScript file, loaded by libtorch, gives the official logits within 1e-4;</li>
 *   <li>a model fine-tuned in Java goes out as pth and comes back with the same logits.</li>
 * </ul>
 * With {@code CONVZOO_EXPORT_DIR} set, the exports and the fine-tuned model's input and logits are
 * kept there for tools/check_export.py, which loads them with the official PyTorch code.
 */
class CheckpointExporterTest {

    @TempDir
    Path tmp;

    static Stream<String> cases() {
        return OfficialParityTest.CASES.keySet().stream();
    }

    /** Where exports go: the kept folder when CONVZOO_EXPORT_DIR is set, else the test's temp folder. */
    private Path out(String file) throws IOException {
        String kept = System.getenv("CONVZOO_EXPORT_DIR");
        Path dir = kept == null || kept.isBlank() ? tmp : Files.createDirectories(Paths.get(kept));
        return dir.resolve(file);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stateDictExportsReadBackAsTheOfficialCheckpoint(String name) throws IOException {
        StateDict official = StateDicts.read(OfficialParityTest.file(name + ".pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = imported(name, manager, official);
            Path pth = out(name + ".pth");
            Path safetensors = out(name + ".safetensors");
            CheckpointExporter.export(block, Format.PTH, pth, null);
            CheckpointExporter.export(block, Format.SAFETENSORS, safetensors, null);
            assertSameTensors(official, StateDicts.read(pth), "torch-zip");
            assertSameTensors(official, StateDicts.read(safetensors), "safetensors");
        }
    }

    private static void assertSameTensors(StateDict official, StateDict exported, String format) {
        assertEquals(format, exported.format());
        assertEquals(official.keys(), exported.keys(), "the official keys, in the official order");
        for (Map.Entry<String, TensorData> e : official.tensors().entrySet()) {
            TensorData mine = exported.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), mine.shape(), e.getKey());
            if (WeightLoader.isIgnored(e.getKey())) {
                assertEquals(DType.INT64, mine.dtype(), e.getKey());
                assertArrayEquals(new long[] {0}, mine.toLongArray(), e.getKey());
            } else {
                assertEquals(e.getValue().dtype(), mine.dtype(), e.getKey());
                assertArrayEquals(e.getValue().toFloatArray(), mine.toFloatArray(), e.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void torchScriptExportGivesTheOfficialLogits(String name) throws Exception {
        StateDict official = StateDicts.read(OfficialParityTest.file(name + ".pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = OfficialParityTest.npy(manager, name + ".input.npy");
            float[] logits = OfficialParityTest.npy(manager, name + ".logits.npy").toFloatArray();
            Block block = imported(name, manager, official);
            Path file = out(name + ".torchscript.pt");
            CheckpointExporter.export(block, Format.TORCHSCRIPT, file, input.getShape());
            assertTrue(Inference.isPrepared(block), "the exported model is left prepared for inference");
            try (Model module = Model.newInstance("exported", input.getDevice(), "PyTorch")) {
                module.load(file.getParent(), file.getFileName().toString(), Map.of("mapLocation", "true"));
                NDArray y = module.getBlock().forward(new ParameterStore(manager, false), new NDList(input), false)
                        .head();
                TestSupport.assertClose(logits, y.toFloatArray(), OfficialParityTest.TOLERANCE);
            }
        }
    }

    @Test
    void aModelFineTunedInJavaRoundTripsThroughPth() throws IOException {
        String name = "res2net_reduced";
        StateDict official = StateDicts.read(OfficialParityTest.file(name + ".pth"));
        OfficialParityTest.Case c = OfficialParityTest.CASES.get(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = OfficialParityTest.npy(manager, name + ".input.npy");
            float[] before = OfficialParityTest.npy(manager, name + ".logits.npy").toFloatArray();
            Block tuned = c.builder().apply(OfficialParityTest.ARGS);
            try (Model model = Model.newInstance("finetune")) {
                model.setBlock(tuned);
                Engine.getInstance().setRandomSeed(20261203);
                DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
                try (Trainer trainer = model.newTrainer(config)) {
                    trainer.initialize(input.getShape());
                    WeightLoader.load(tuned, official);
                    NDManager m = trainer.getManager();
                    NDArray x = TestSupport.random(m, new Shape(4, 3, 32, 32), 5);
                    NDArray labels = m.create(new float[] {1, 4, 7, 2});
                    for (int step = 0; step < 3; step++) {
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray pred = trainer.forward(new NDList(x)).head();
                            gc.backward(trainer.getLoss().evaluate(new NDList(labels), new NDList(pred)));
                        }
                        trainer.step();
                    }
                }
                float[] tunedLogits = TestSupport.infer(tuned, manager, input).head().toFloatArray();
                assertFalse(maxDifference(before, tunedLogits) < 1e-2, "fine-tuning changed the logits");

                Path pth = out(name + "_finetuned.pth");
                CheckpointExporter.export(tuned, Format.PTH, pth, null);
                Block reloaded = c.builder().apply(OfficialParityTest.ARGS);
                TestSupport.init(reloaded, manager, input.getShape());
                WeightLoader.Result result = WeightLoader.load(reloaded, StateDicts.read(pth));
                assertEquals(official.size() - official.keys().stream().filter(WeightLoader::isIgnored).count(),
                        result.loaded());
                float[] reloadedLogits = TestSupport.infer(reloaded, manager, input).head().toFloatArray();
                assertArrayEquals(tunedLogits, reloadedLogits, "the same weights give the same logits");
                if (System.getenv("CONVZOO_EXPORT_DIR") != null) {
                    Files.write(out(name + "_finetuned.input.npz"), new NDList(input).encode(NDList.Encoding.NPZ));
                    long rows = input.getShape().get(0);
                    NDArray kept = manager.create(tunedLogits, new Shape(rows, tunedLogits.length / rows));
                    Files.write(out(name + "_finetuned.logits.npz"), new NDList(kept).encode(NDList.Encoding.NPZ));
                }
            }
        }
    }

    @Test
    void unknownFormatsAndUninitializedModelsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.parse("tflite"));
        assertEquals("unknown export format 'tflite'; known: torchscript, pth, safetensors, onnx", e.getMessage());
        assertEquals(Format.SAFETENSORS, Format.parse("SafeTensors"));
        Block block = OfficialParityTest.CASES.get("res2net_reduced").builder().apply(OfficialParityTest.ARGS);
        Path file = tmp.resolve("never.pth");
        IllegalStateException u = assertThrows(IllegalStateException.class,
                () -> CheckpointExporter.export(block, Format.PTH, file, null));
        assertTrue(u.getMessage().startsWith("initialize the model before exporting it: "), u.getMessage());
        assertFalse(Files.exists(file), "nothing is written");
    }

    /** The fixture's block, initialized and loaded strictly with the official checkpoint. */
    private static Block imported(String name, NDManager manager, StateDict official) throws IOException {
        OfficialParityTest.Case c = OfficialParityTest.CASES.get(name);
        NDArray input = OfficialParityTest.npy(manager, name + ".input.npy");
        Block block = c.builder().apply(OfficialParityTest.ARGS);
        TestSupport.init(block, manager, input.getShape());
        WeightLoader.load(block, official, true, KeyRenames.of(c.family()));
        return block;
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
