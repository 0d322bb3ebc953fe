package io.convzoo.zoo.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a numpy {@code .npz} archive (np.savez or savez_compressed): one {@code <name>.npy} per
 * tensor. The npy header is parsed here (not evaluated) and object arrays are refused.
 */
final class NpzReader {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z]\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpzReader() {}

    static StateDict read(ZipFile zip, Path file, String source) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            ZipEntry entry = en.nextElement();
            if (!entry.getName().endsWith(".npy")) {
                continue;
            }
            String name = entry.getName().substring(0, entry.getName().length() - 4);
            String what = "checkpoint " + source + ": array " + name;
            try (InputStream in = zip.getInputStream(entry)) {
                tensors.put(name, readNpy(what, in));
            } catch (ZipException e) {
                throw new CorruptCheckpointException(what + ": unreadable record: " + e.getMessage(), e);
            }
        }
        return new StateDict(source, "npz", SafetensorsReader.stripDataParallel(source, tensors));
    }

    static TensorData readNpy(String what, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new CorruptCheckpointException(what + ": not an npy record");
        }
        int major = magic[6];
        byte[] lenBytes = in.readNBytes(major == 1 ? 2 : 4);
        if (lenBytes.length < (major == 1 ? 2 : 4)) {
            throw new CorruptCheckpointException(what + ": truncated npy header");
        }
        ByteBuffer lb = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lb.getShort() & 0xffff : lb.getInt() & 0xffffffffL;
        if (headerLength > 1 << 20) {
            throw new CorruptCheckpointException(what + ": npy header of " + headerLength + " bytes");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new CorruptCheckpointException(what + ": truncated npy header");
        }
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
            throw new CorruptCheckpointException(what + ": unsupported npy header " + header.strip());
        }
        DType dtype = DType.ofNumpy(descr.group(2));
        if (dtype == null) {
            throw new CorruptCheckpointException(what + ": unsupported numpy dtype " + descr.group(2));
        }
        String[] dims = shapeMatch.group(1).split(",");
        long[] shape = java.util.Arrays.stream(dims).map(String::strip).filter(s -> !s.isEmpty())
                .mapToLong(s -> {
                    try {
                        return Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }).toArray();
        long[] stride = TensorData.contiguousStrides(shape);
        if (fortran.group(1).equals("True")) {
            long s = 1;
            for (int d = 0; d < shape.length; d++) {
                stride[d] = s;
                s = shape[d] == 0 ? s : s * shape[d];
            }
        }
        // Validate the shape on an empty buffer first: a huge shape fails before any allocation.
        long numel = 1;
        for (long d : shape) {
            if (d < 0 || d > 0 && numel > TensorData.MAX_ELEMENTS / d) {
                throw new CorruptCheckpointException(what + ": bad or too large shape " + shapeMatch.group(1));
            }
            numel *= d;
        }
        long bytes = numel * dtype.size();
        byte[] data = in.readNBytes((int) bytes);
        if (data.length < bytes) {
            throw new CorruptCheckpointException(what + ": holds " + data.length + " data bytes, " + bytes
                    + " expected (truncated)");
        }
        ByteOrder order = descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return TensorData.view(what, dtype, shape, stride, 0, ByteBuffer.wrap(data).order(order));
    }
}
