package io.convzoo.zoo.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.script.ScriptedForward;
import io.convzoo.blocks.script.TorchArchiveWriter;
import io.convzoo.blocks.script.TorchArchiveWriter.Pickler;
import io.convzoo.zoo.OfficialNames;
import io.convzoo.zoo.infer.Inference;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a zoo model for other runtimes (the reverse of {@link CheckpointImporter}):
 * <ul>
 *   <li>{@link Format#PTH}: its state_dict in the official key naming as {@code torch.save} writes it
 *       (zip format: {@code archive/data.pkl}, an OrderedDict of {@code _rebuild_tensor_v2} tensors,
 *       {@code archive/data/<i>}, {@code archive/version}, {@code archive/byteorder}), loadable with
 *       {@code torch.load(f, weights_only=True)} and the official code's {@code load_state_dict(strict=True)};
 *       every BatchNorm also gets its {@code num_batches_tracked} (0: DJL does not count steps);</li>
 *   <li>{@link Format#SAFETENSORS}: the same tensors as a safetensors file;</li>
 *   <li>{@link Format#TORCHSCRIPT}: the eval forward as a standalone TorchScript module
 *       ({@link ScriptedForward#export}), checked against the Java forward before it is kept.</li>
 * </ul>
 * State_dict tensors are written as stored on the device of the parameters but always marked for the
 * CPU, so {@code torch.load} needs no {@code map_location}. A failed export leaves no file behind.
 */
public final class CheckpointExporter {

    /** The formats of {@code convzoo export --format}. */
    public enum Format {
        TORCHSCRIPT, PTH, SAFETENSORS, ONNX;

        /** The format named {@code name} (case-insensitive); an unknown name lists the known ones. */
        public static Format parse(String name) {
            for (Format f : values()) {
                if (f.label().equalsIgnoreCase(name.strip())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown export format '" + name + "'; known: torchscript, pth, safetensors, onnx");
        }

        /** The name used on the command line. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** torch.save's zip serialization version (PyTorch 1.6 to 2.x write 3). */
    private static final String PTH_VERSION = "3\n";
    private static final String BATCHES_TRACKED = "num_batches_tracked";

    private CheckpointExporter() {}

    /**
     * Writes {@code model} (initialized) to {@code file} in {@code format}. For TorchScript the eval
     * forward of a random normal input of {@code inputShape} is the sample the module is checked on; the model
     * is prepared for inference (folding) and stays so.
     */
    public static void export(Block model, Format format, Path file, Shape inputShape) throws IOException {
        requireInitialized(model);
        switch (format) {
            case PTH -> writePth(model, file);
            case SAFETENSORS -> writeSafetensors(model, file);
            case TORCHSCRIPT -> writeTorchScript(model, file, inputShape);
            case ONNX -> writeOnnx(model, file, inputShape);
        }
    }

    /**
     * The model's state_dict: official key → array (the parameters' own arrays), in the block's
     * parameter order, with a {@code num_batches_tracked} counter (int64 scalar, from
     * {@code manager}) after each BatchNorm's statistics.
     */
    public static Map<String, NDArray> stateDict(Block model, NDManager manager) {
        requireInitialized(model);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : OfficialNames.of(model).entrySet()) {
            out.put(e.getKey(), e.getValue().getArray());
            String key = e.getKey();
            if (key.endsWith(".running_var")) {
                String module = key.substring(0, key.length() - ".running_var".length());
                if (out.containsKey(module + ".running_mean")) {
                    out.put(module + "." + BATCHES_TRACKED, manager.create(0L));
                }
            }
        }
        return out;
    }

    /** {@code torch.save(model.state_dict(), file)}, written in Java. */
    public static void writePth(Block model, Path file) throws IOException {
        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = stateDict(model, scratch);
            Pickler p = new Pickler();
            p.global("collections", "OrderedDict").op(Pickler.EMPTY_TUPLE).op(Pickler.REDUCE);
            p.op(Pickler.MARK);
            int i = 0;
            for (Map.Entry<String, NDArray> e : sd.entrySet()) {
                p.string(e.getKey());
                tensor(p, e.getKey(), e.getValue(), Integer.toString(i++));
            }
            p.op(Pickler.SETITEMS);
            byte[] pickle = p.stop();
            writeAtomically(file, tmp -> {
                try (TorchArchiveWriter archive = new TorchArchiveWriter(tmp, "archive")) {
                    archive.put("data.pkl", pickle);
                    archive.put("byteorder", "little".getBytes(StandardCharsets.US_ASCII));
                    int k = 0;
                    for (NDArray a : sd.values()) {
                        archive.putStorage("data/" + k++, a);
                    }
                    archive.put("version", PTH_VERSION.getBytes(StandardCharsets.US_ASCII));
                }
            });
        }
    }

    private static void tensor(Pickler p, String key, NDArray a, String storageKey) {
        try {
            p.tensor(a, storageKey, "cpu");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("state_dict export: " + key + ": " + e.getMessage(), e);
        }
    }

    /** The state_dict as a safetensors file (tensors in state_dict order, metadata {"format": "pt"}). */
    public static void writeSafetensors(Block model, Path file) throws IOException {
        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = stateDict(model, scratch);
            JsonObject header = new JsonObject();
            JsonObject metadata = new JsonObject();
            metadata.addProperty("format", "pt");
            header.add("__metadata__", metadata);
            Map<String, byte[]> data = new LinkedHashMap<>();
            long offset = 0;
            for (Map.Entry<String, NDArray> e : sd.entrySet()) {
                NDArray a = e.getValue();
                DType dtype = DType.of(a.getDataType());
                if (dtype == null) {
                    throw new IllegalArgumentException("safetensors export: " + e.getKey() + ": unsupported data type "
                            + a.getDataType());
                }
                byte[] bytes = TorchArchiveWriter.storageBytes(a);
                JsonObject info = new JsonObject();
                info.addProperty("dtype", dtype.safetensorsName());
                JsonArray shape = new JsonArray();
                for (long d : a.getShape().getShape()) {
                    shape.add(d);
                }
                info.add("shape", shape);
                JsonArray offsets = new JsonArray();
                offsets.add(offset);
                offsets.add(offset + bytes.length);
                info.add("data_offsets", offsets);
                header.add(e.getKey(), info);
                data.put(e.getKey(), bytes);
                offset += bytes.length;
            }
            byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
            byte[] headerBytes = new byte[padded];
            System.arraycopy(json, 0, headerBytes, 0, json.length);
            for (int i = json.length; i < padded; i++) {
                headerBytes[i] = ' ';
            }
            writeAtomically(file, tmp -> {
                try (OutputStream os = Files.newOutputStream(tmp)) {
                    os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                    os.write(headerBytes);
                    for (byte[] b : data.values()) {
                        os.write(b);
                    }
                }
            });
        }
    }

    /** The eval forward as a TorchScript file ({@link ScriptedForward#export}). */
    public static void writeTorchScript(Block model, Path file, Shape inputShape) throws IOException {
        writeCheckedForward(model, file, inputShape, "TorchScript", ScriptedForward::export);
    }

    /**
     * The eval forward as an ONNX model ({@link io.convzoo.zoo.infer.OnnxRuntimeForward#export}): opset
     * 17, dynamic batch and spatial size, BatchNorms folded, weights as initializers; checked on ONNX
     * Runtime against the Java forward of a random input of {@code inputShape} before it is kept.
     */
    public static void writeOnnx(Block model, Path file, Shape inputShape) throws IOException {
        writeCheckedForward(model, file, inputShape, "ONNX", io.convzoo.zoo.infer.OnnxRuntimeForward::export);
    }

    /** Writes a compiled form of a forward, checked on {@code sample} before it is kept. */
    private interface ForwardExport {
        void write(DataflowBlock root, NDArray sample, Path file) throws IOException;
    }

    /** The prepared model's eval forward written by {@code export}, checked on a random input of {@code inputShape}. */
    private static void writeCheckedForward(Block model, Path file, Shape inputShape, String format,
                                            ForwardExport export) throws IOException {
        if (!(model instanceof DataflowBlock root)) {
            throw new UnsupportedOperationException(format + " export needs a zoo model (a DataflowBlock root), not "
                    + model.getClass().getSimpleName());
        }
        if (!Inference.isPrepared(model)) {
            Inference.prepare(model);
        }
        Inference.noGrad();
        Parameter first = model.getParameters().values().get(0);
        try (NDManager scratch = first.getArray().getManager().newSubManager()) {
            NDArray sample = scratch.randomNormal(inputShape);
            writeAtomically(file, tmp -> export.write(root, sample, tmp));
        }
    }

    private static void requireInitialized(Block model) {
        for (ai.djl.util.Pair<String, Parameter> e : model.getParameters()) {
            if (!e.getValue().isInitialized()) {
                throw new IllegalStateException("initialize the model before exporting it: " + e.getKey()
                        + " has no array yet");
            }
        }
    }

    private interface Writing {
        void to(Path file) throws IOException;
    }

    /** Writes next to {@code file}, then renames: a failed write leaves neither a partial file nor a lost old one. */
    private static void writeAtomically(Path file, Writing writing) throws IOException {
        Path target = file.toAbsolutePath();
        if (target.getParent() != null) {
            Files.createDirectories(target.getParent());
        }
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
        try {
            writing.to(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
