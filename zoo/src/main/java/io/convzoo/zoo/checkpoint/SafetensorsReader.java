package io.convzoo.zoo.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and data offsets, then the little-endian data. Unlike DJL's decoder it
 * checks the header length and every offset against the file before allocating anything.
 */
final class SafetensorsReader {

    private SafetensorsReader() {}

    static StateDict read(Path file, String source) throws IOException {
        ByteBuffer buf;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new CorruptCheckpointException("checkpoint " + source + ": safetensors files over 2 GiB "
                        + "are not supported by this reader");
            }
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        long headerLength = buf.getLong(0);
        if (headerLength <= 0 || headerLength > buf.capacity() - 8L || headerLength > StateDicts.MAX_HEADER_BYTES) {
            throw new CorruptCheckpointException("checkpoint " + source + ": safetensors header of "
                    + headerLength + " bytes in a file of " + buf.capacity() + " bytes (truncated or corrupt)");
        }
        byte[] header = new byte[(int) headerLength];
        buf.get(8, header);
        JsonObject json;
        try {
            json = JsonParser.parseString(new String(header, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new CorruptCheckpointException("checkpoint " + source + ": unreadable safetensors header: "
                    + e.getMessage(), e);
        }
        int dataStart = (int) (8 + headerLength);
        ByteBuffer data = buf.slice(dataStart, buf.capacity() - dataStart).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            String what = "checkpoint " + source + ": tensor " + e.getKey();
            try {
                JsonObject info = e.getValue().getAsJsonObject();
                DType dtype = DType.ofSafetensors(info.get("dtype").getAsString());
                if (dtype == null) {
                    throw new CorruptCheckpointException(what + ": unsupported dtype " + info.get("dtype"));
                }
                JsonArray shapeJson = info.getAsJsonArray("shape");
                long[] shape = new long[shapeJson.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsLong();
                }
                JsonArray offsets = info.getAsJsonArray("data_offsets");
                long begin = offsets.get(0).getAsLong();
                long end = offsets.get(1).getAsLong();
                if (offsets.size() != 2 || begin < 0 || end < begin || end > data.capacity()) {
                    throw new CorruptCheckpointException(what + ": data offsets [" + begin + ", " + end
                            + "] outside the " + data.capacity() + " data bytes");
                }
                ByteBuffer bytes = data.slice((int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                TensorData t = TensorData.contiguous(what, dtype, shape, bytes);
                if (t.numel() * dtype.size() != end - begin) {
                    throw new CorruptCheckpointException(what + ": " + (end - begin) + " bytes for shape "
                            + java.util.Arrays.toString(shape));
                }
                tensors.put(e.getKey(), t);
            } catch (RuntimeException ex) {
                throw new CorruptCheckpointException(what + ": malformed header entry (" + ex + ")", ex);
            }
        }
        return new StateDict(source, "safetensors", stripDataParallel(source, tensors));
    }

    static Map<String, TensorData> stripDataParallel(String source, Map<String, TensorData> tensors)
            throws CorruptCheckpointException {
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String key = e.getKey().startsWith(StateDicts.DATA_PARALLEL_PREFIX)
                    ? e.getKey().substring(StateDicts.DATA_PARALLEL_PREFIX.length()) : e.getKey();
            if (out.put(key, e.getValue()) != null) {
                throw new CorruptCheckpointException("checkpoint " + source + ": key " + key
                        + " appears both with and without the 'module.' prefix");
            }
        }
        return out;
    }
}
