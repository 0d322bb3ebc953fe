package io.convzoo.zoo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StateDictsTest {

    private static final Path MARKER = Paths.get("/tmp/convzoo-checkpoint-pwned");

    @ParameterizedTest
    @ValueSource(strings = {"tiny_zip.pth", "tiny_legacy.pth", "tiny_nested.pth.tar", "tiny_nested_legacy.pth.tar",
            "tiny_model_key.pt", "tiny_float16.pth", "tiny_float16_legacy.pth", "tiny_bfloat16.pth",
            "tiny_float64.pth", "tiny_bigendian.pth", "tiny.safetensors", "tiny.npz", "views_zip.pth",
            "views_legacy.pth", "old_style_legacy.pth"})
    void everyFormatAndDtypeReadsExactlyTheValuesPyTorchSaved(String file) throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file(file));
        JsonObject expected = Fixtures.tensorsOf(file);
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(sd.keys()), "keys in file order");
        for (String key : expected.keySet()) {
            JsonObject e = expected.getAsJsonObject(key);
            TensorData t = sd.get(key);
            assertEquals(e.get("dtype").getAsString(), t.dtype().toString(), key + " dtype");
            assertArrayEquals(Fixtures.shape(e), t.shape(), key + " shape");
            if (t.dtype().isFloatingPoint()) {
                // Exact: float16/bfloat16 widen exactly, float64 rounds to float32 as torch's .float() does.
                assertArrayEquals(Fixtures.floats(e), t.toFloatArray(), 0f, key + " values");
            } else {
                assertArrayEquals(Fixtures.longs(e), t.toLongArray(), key + " values");
            }
        }
    }

    @Test
    void formatsAreDetectedFromTheContent() throws IOException {
        assertEquals("torch-zip", StateDicts.read(Fixtures.file("tiny_zip.pth")).format());
        assertEquals("torch-legacy", StateDicts.read(Fixtures.file("tiny_legacy.pth")).format());
        assertEquals("safetensors", StateDicts.read(Fixtures.file("tiny.safetensors")).format());
        assertEquals("npz", StateDicts.read(Fixtures.file("tiny.npz")).format());
    }

    @Test
    void trainingCheckpointYieldsOnlyTheModelWeightsWithoutDataParallelPrefix() throws IOException {
        for (String file : List.of("tiny_nested.pth.tar", "tiny_nested_legacy.pth.tar")) {
            StateDict sd = StateDicts.read(Fixtures.file(file));
            // epoch, arch, args (argparse.Namespace), numpy scalar, optimizer momentum and the
            // top-level best_acc1 tensor are not weights.
            assertEquals(Fixtures.tensorsOf("tiny_zip.pth").keySet(), sd.keys(), file);
            assertTrue(sd.keys().stream().noneMatch(k -> k.startsWith("module.")), file);
        }
    }

    @Test
    void viewsOfOneStorageMaterializeWithTheirOffsetsAndStrides() throws IOException {
        for (String file : List.of("views_zip.pth", "views_legacy.pth")) {
            StateDict sd = StateDicts.read(Fixtures.file(file));
            float[] base = sd.get("base").toFloatArray();
            // base is arange(24).reshape(4, 6) * 0.5 - 3; the views address the same storage.
            assertArrayEquals(new float[] {base[6], base[7], base[8], base[9], base[10], base[11]},
                    sd.get("row").toFloatArray(), 0f, file);
            assertArrayEquals(new float[] {base[2], base[8], base[14], base[20]}, sd.get("column").toFloatArray(), 0f);
            assertFalse(sd.get("transposed").isContiguous());
            assertEquals(base[1], sd.get("transposed").toFloatArray()[4], 0f, "transposed[1][0] == base[0][1]");
            assertArrayEquals(new long[] {3 * 1000000000007L - 5, 4 * 1000000000007L - 5, 5 * 1000000000007L - 5},
                    sd.get("long_tail").toLongArray(), "int64 beyond float precision, offset 3");
        }
    }

    @Test
    void tensorsBecomeNdArraysFloatForWeightsAndInt64ForCounters() throws IOException {
        StateDict sd = StateDicts.read(Fixtures.file("tiny_float16.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = sd.get("fc.weight").toNDArray(manager);
            assertEquals(DataType.FLOAT32, w.getDataType());
            assertEquals(sd.get("fc.weight").djlShape(), w.getShape());
            assertArrayEquals(sd.get("fc.weight").toFloatArray(), w.toFloatArray(), 0f);
            NDArray n = sd.get("bn2.num_batches_tracked").toNDArray(manager);
            assertEquals(DataType.INT64, n.getDataType());
            assertEquals(7L, n.toLongArray()[0]);
        }
    }

    @Test
    void halfPrecisionConversionCoversSubnormalsAndSpecials() {
        assertEquals(1.0f, TensorData.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, TensorData.halfToFloat((short) 0xc000));
        assertEquals(65504f, TensorData.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, TensorData.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, TensorData.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(TensorData.halfToFloat((short) 0x7e00)));
        assertEquals(-0f, TensorData.halfToFloat((short) 0x8000));
    }

    // ------------------------------------------------------------------ hostile files

    @Test
    void picklesCallingOsSystemAreRefusedByNameAndNothingRuns() throws IOException {
        Files.deleteIfExists(MARKER);
        for (String file : List.of("malicious_zip.pth", "malicious_legacy.pth")) {
            UnsafeCheckpointException e = assertThrows(UnsafeCheckpointException.class,
                    () -> StateDicts.read(Fixtures.file(file)));
            assertEquals("os.system", e.getGlobal());
            assertTrue(e.getMessage().contains("checkpoint " + file + ": refused global os.system"), e.getMessage());
        }
        assertFalse(Files.exists(MARKER), "the payload ran");
    }

    @Test
    void otherDangerousGlobalsAreRefusedToo(@TempDir Path dir) throws IOException {
        // GLOBAL builtins.eval (protocol 2) and STACK_GLOBAL subprocess.Popen (protocol 4).
        byte[] eval = concat(new byte[] {(byte) 0x80, 2}, ascii("cbuiltins\neval\n"), unicode("1+1"),
                new byte[] {(byte) 0x85, 'R', '.'});
        byte[] popen = concat(new byte[] {(byte) 0x80, 4}, unicode("subprocess"), unicode("Popen"),
                new byte[] {(byte) 0x93}, unicode("id"), new byte[] {(byte) 0x85, 'R', '.'});
        byte[] loadFromBytes = concat(new byte[] {(byte) 0x80, 2}, ascii("ctorch.storage\n_load_from_bytes\n"),
                new byte[] {'.'});
        for (byte[] pickle : List.of(eval, popen, loadFromBytes)) {
            Path file = dir.resolve("evil.pth");
            Files.write(file, pickle);
            UnsafeCheckpointException e = assertThrows(UnsafeCheckpointException.class, () -> StateDicts.read(file));
            assertTrue(List.of("builtins.eval", "subprocess.Popen", "torch.storage._load_from_bytes")
                    .contains(e.getGlobal()), e.getGlobal());
            assertTrue(e.getMessage().contains(e.getGlobal()), e.getMessage());
        }
    }

    @Test
    void truncatedFilesGiveAClearErrorNamingTheFile() {
        for (String file : List.of("tiny_zip_truncated.pth", "tiny_legacy_truncated.pth")) {
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                    () -> StateDicts.read(Fixtures.file(file)));
            assertTrue(e.getMessage().startsWith("checkpoint " + file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void hugeDeclaredSizesAreRejectedBeforeAnyAllocation() {
        Map<String, String> cases = Map.of(
                "huge_storage_legacy.pth", "1099511627776 float32 elements",
                "huge_shape_zip.pth", "more than",
                "out_of_range_view_zip.pth", "holds 4 elements");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                    () -> StateDicts.read(Fixtures.file(c.getKey())));
            assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + ": " + e.getMessage());
        }
    }

    @Test
    void aSafetensorsHeaderLengthEndingIn0x80IsNotTakenForAPickle(@TempDir Path dir) throws IOException {
        // The first byte of a safetensors file is its header length's low byte, 0x80 here, a pickle's opcode.
        StringBuilder json = new StringBuilder("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        while (json.length() < 0x180) {
            json.append(' ');
        }
        ByteBuffer file = ByteBuffer.allocate(8 + 0x180 + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x180)
                .put(ascii(json.toString())).putFloat(1.5f).putFloat(-2f);
        Path path = dir.resolve("header_0x180.safetensors");
        Files.write(path, file.array());
        StateDict sd = StateDicts.read(path);
        assertEquals("safetensors", sd.format());
        assertArrayEquals(new float[] {1.5f, -2f}, sd.get("w").toFloatArray());
    }

    @Test
    void hugeLengthsInsideHeadersAreRejected(@TempDir Path dir) throws IOException {
        // A pickle string claiming 4 GB, and a safetensors header claiming 1 TB.
        Path pickle = dir.resolve("long_string.pth");
        Files.write(pickle, concat(new byte[] {(byte) 0x80, 2, 'X', (byte) 0xf0, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                ascii("abc")));
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> StateDicts.read(pickle));
        assertTrue(e.getMessage().contains("4294967280 bytes"), e.getMessage());
        Path safetensors = dir.resolve("huge_header.safetensors");
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).put(ascii("{}      "));
        Files.write(safetensors, header.array());
        e = assertThrows(CorruptCheckpointException.class, () -> StateDicts.read(safetensors));
        assertTrue(e.getMessage().contains("safetensors header of 1099511627776 bytes"), e.getMessage());
    }

    @Test
    void aSafetensorsHeaderLengthStartingWith0x80IsNotAPickle(@TempDir Path dir) throws IOException {
        // A header of 128 bytes: the file starts with 0x80, a pickle's protocol opcode.
        StringBuilder json = new StringBuilder("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        while (json.length() < 0x80) {
            json.append(' ');
        }
        ByteBuffer file = ByteBuffer.allocate(8 + 0x80 + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x80)
                .put(ascii(json.toString())).putFloat(1.5f).putFloat(-2f);
        Path path = dir.resolve("header128.safetensors");
        Files.write(path, file.array());
        StateDict sd = StateDicts.read(path);
        assertEquals("safetensors", sd.format());
        assertArrayEquals(new float[] {1.5f, -2f}, sd.get("x").toFloatArray());
    }

    @Test
    void everyTruncationAndRandomCorruptionFailsCleanly(@TempDir Path dir) throws IOException {
        // Whatever the damage, the outcome is a state_dict or an IOException: no other exception,
        // no OutOfMemoryError, no hang.
        Random random = new Random(42);
        for (String name : List.of("tiny_legacy.pth", "tiny_zip.pth", "views_legacy.pth")) {
            byte[] good = Files.readAllBytes(Fixtures.file(name));
            Path damaged = dir.resolve(name);
            int step = Math.max(1, good.length / 400);
            for (int length = 0; length < good.length; length += step) {
                Files.write(damaged, java.util.Arrays.copyOf(good, length));
                assertThrows(IOException.class, () -> StateDicts.read(damaged), name + " cut at " + length);
            }
            for (int trial = 0; trial < 300; trial++) {
                byte[] bad = good.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
                }
                Files.write(damaged, bad);
                try {
                    StateDict sd = StateDicts.read(damaged);
                    sd.tensors().values().forEach(TensorData::toFloatArray);
                } catch (IOException expected) {
                    // fine: reported as unreadable
                }
            }
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte) 0x8c, (byte) b.length}, b);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
