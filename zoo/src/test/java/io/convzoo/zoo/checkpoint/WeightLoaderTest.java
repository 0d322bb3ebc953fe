package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.convzoo.blocks.NamedSequential;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.OfficialNames;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WeightLoaderTest {

    static final Shape INPUT = new Shape(2, 3, 8, 8);

    static NDArray input(NDManager manager) {
        JsonObject x = Fixtures.expected().getAsJsonObject("input");
        return manager.create(Fixtures.floats(x), new Shape(Fixtures.shape(x)));
    }

    static float[] pytorchLogits() {
        return Fixtures.floats(Fixtures.expected().getAsJsonObject("logits"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_zip.pth", "tiny_legacy.pth", "tiny_nested.pth.tar", "tiny_nested_legacy.pth.tar",
            "tiny_float64.pth", "tiny_bigendian.pth", "tiny.safetensors", "tiny.npz"})
    void loadedBlockComputesPyTorchsLogits(String file) throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file(file));
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = TinyNet.build();
            TestSupport.init(block, manager, INPUT);
            WeightLoader.Result result = WeightLoader.load(block, sd);
            assertEquals(13, result.loaded(), "every parameter and running statistic");
            assertTrue(result.missing().isEmpty() && result.unexpected().isEmpty());
            float[] logits = TestSupport.infer(block, manager, input(manager)).head().toFloatArray();
            TestSupport.assertClose(pytorchLogits(), logits, 1e-4);
        }
    }

    @Test
    void officialNamesOfTheComposedBlockAreThePyTorchKeys() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_zip.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = TinyNet.build();
            TestSupport.init(block, manager, INPUT);
            List<String> withoutCounters = sd.keys().stream().filter(k -> !WeightLoader.isIgnored(k)).toList();
            assertEquals(withoutCounters, List.copyOf(OfficialNames.of(block).keySet()));
        }
    }

    @Test
    void wrongArchitectureReportsMissingUnexpectedAndMismatchedKeysTogether() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_zip.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            // conv2 renamed conv3 (missing + unexpected), 7 classes instead of 5 (shape mismatch).
            NamedSequential block = TinyNet.build("features", "conv3", 6, 7);
            TestSupport.init(block, manager, INPUT);
            float[] before = OfficialNames.of(block).get("features.0.weight").getArray().toFloatArray();
            WeightMappingException e = assertThrows(WeightMappingException.class, () -> WeightLoader.load(block, sd));
            assertEquals(List.of("conv3.weight (6, 4, 3, 3)", "conv3.bias (6)"), e.getMissing());
            assertEquals(List.of("conv2.weight (6, 4, 3, 3)", "conv2.bias (6)"), e.getUnexpected());
            assertEquals(List.of("fc.weight: checkpoint (5, 6), block (7, 6)", "fc.bias: checkpoint (5), block (7)"),
                    e.getMismatched());
            for (String s : List.of("2 missing, 2 unexpected, 2 shape mismatches", "conv3.weight", "conv2.bias",
                    "fc.weight: checkpoint (5, 6), block (7, 6)", "checkpoint tiny_zip.pth")) {
                assertTrue(e.getMessage().contains(s), s + " not in: " + e.getMessage());
            }
            // Nothing was copied: an error leaves the block as it was.
            assertTrue(Arrays.equals(before, OfficialNames.of(block).get("features.0.weight").getArray().toFloatArray()));
        }
    }

    @Test
    void nonStrictLoadToleratesMissingAndUnexpectedKeysButNotShapes() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_zip.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedSequential block = TinyNet.build("features", "conv3", 6, 5);
            TestSupport.init(block, manager, INPUT);
            WeightLoader.Result result = WeightLoader.load(block, sd, false);
            assertEquals(11, result.loaded());
            assertEquals(List.of("conv3.weight (6, 4, 3, 3)", "conv3.bias (6)"), result.missing());
            assertEquals(2, result.unexpected().size());
            float[] fcBias = OfficialNames.of(block).get("fc.bias").getArray().toFloatArray();
            TestSupport.assertClose(sd.get("fc.bias").toFloatArray(), fcBias, 0);

            NamedSequential wrongClasses = TinyNet.build("features", "conv2", 6, 3);
            TestSupport.init(wrongClasses, manager, INPUT);
            assertThrows(WeightMappingException.class, () -> WeightLoader.load(wrongClasses, sd, false));
        }
    }

    @Test
    void familyRenameHookMapsCheckpointKeysToBlockNames() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_legacy.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = TinyNet.build("stem", "conv2", 6, 5);
            TestSupport.init(block, manager, INPUT);
            assertThrows(WeightMappingException.class, () -> WeightLoader.load(block, sd));
            WeightLoader.load(block, sd, true, k -> k.startsWith("features.") ? "stem." + k.substring(9) : k);
            float[] logits = TestSupport.infer(block, manager, input(manager)).head().toFloatArray();
            TestSupport.assertClose(pytorchLogits(), logits, 1e-4);
        }
    }

    @Test
    void uninitializedBlockIsRefusedWithAHint() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_zip.pth"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> WeightLoader.load(TinyNet.build(), sd));
        assertTrue(e.getMessage().contains("initialize"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
