package io.convzoo.serving.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * NumPy {@code .npy} files of float32 arrays: reading with DJL's own decoder
 * ({@link NDList#decode}), writing with a small writer of format version 1.0 (little-endian
 * {@code <f4}, C order, header padded to 64 bytes), which {@code numpy.load} reads.
 */
final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;

    private Npy() {}

    /** Reads one array from a {@code .npy} file. */
    static NDArray read(NDManager manager, Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 10 || bytes[0] != MAGIC[0] || bytes[1] != 'N' || bytes[2] != 'U' || bytes[3] != 'M') {
            throw new IllegalArgumentException(file.getFileName() + " is not a .npy file (no \\x93NUMPY magic)");
        }
        try {
            return NDList.decode(manager, bytes).singletonOrThrow();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("cannot read " + file.getFileName() + " as .npy: " + e.getMessage(), e);
        }
    }

    /** Writes a float32 array as a {@code .npy} file (written to a temporary file, then moved). */
    static void write(NDArray array, Path file) throws IOException {
        NDArray values = array.getDataType() == DataType.FLOAT32 ? array : array.toType(DataType.FLOAT32, false);
        long[] shape = values.getShape().getShape();
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        if (shape.length == 1) {
            dims.append(',');
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        // magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int headerLength = dict.length() + 1 + (ALIGN - unpadded % ALIGN) % ALIGN;
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 4 + headerLength).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLength);
        header.put(dict.getBytes(StandardCharsets.US_ASCII));
        while (header.position() < header.capacity() - 1) {
            header.put((byte) ' ');
        }
        header.put((byte) '\n');
        float[] data = values.toFloatArray();
        ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".part");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(header.array());
            out.write(body.array());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
