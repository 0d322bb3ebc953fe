package io.convzoo.zoo.train;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * One unsigned-byte IDX file (the MNIST / Fashion-MNIST format), plain or gzip'd. The header is
 * validated: two zero bytes, type code 0x08 (unsigned byte), the expected number of dimensions,
 * then the big-endian dimension sizes, whose product must equal the number of data bytes that
 * follow exactly (a truncated or over-long file is rejected).
 *
 * @param dims dimension sizes, e.g. {60000, 28, 28} for images, {60000} for labels
 * @param data the unsigned bytes, row-major
 */
public record IdxFile(int[] dims, byte[] data) {

    /** Type code of unsigned-byte data. */
    static final int UBYTE = 0x08;

    /** Number of items (the first dimension). */
    public int count() {
        return dims[0];
    }

    /** Bytes per item (product of the remaining dimensions). */
    public int itemSize() {
        int size = 1;
        for (int i = 1; i < dims.length; i++) {
            size *= dims[i];
        }
        return size;
    }

    /** Reads and validates {@code file}; gzip is detected from its magic bytes, not its name. */
    public static IdxFile read(Path file, int expectedDims) throws IOException {
        byte[] bytes;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
            bytes = in.readAllBytes();
        } catch (java.util.zip.ZipException e) {
            throw new IOException("IDX file " + file + " is not a valid gzip stream: " + e.getMessage(), e);
        }
        return parse(bytes, expectedDims, file.toString());
    }

    /** Validates and splits an in-memory IDX image ({@code source} names it in errors). */
    public static IdxFile parse(byte[] bytes, int expectedDims, String source) throws IOException {
        if (bytes.length < 4) {
            throw new IOException("IDX file " + source + " is too short for a header (" + bytes.length + " bytes)");
        }
        if (bytes[0] != 0 || bytes[1] != 0) {
            throw new IOException(String.format("IDX file %s has a bad magic number 0x%02x%02x%02x%02x: "
                    + "expected 0x000008%02x (unsigned bytes, %d dimensions)", source,
                    bytes[0], bytes[1], bytes[2], bytes[3], expectedDims, expectedDims));
        }
        int type = bytes[2] & 0xff;
        int ndim = bytes[3] & 0xff;
        if (type != UBYTE) {
            throw new IOException(String.format("IDX file %s has data type 0x%02x; only unsigned bytes (0x08) "
                    + "are supported", source, type));
        }
        if (ndim != expectedDims) {
            throw new IOException("IDX file " + source + " has " + ndim + " dimensions, expected " + expectedDims
                    + (expectedDims == 3 ? " (an images file: count, rows, cols)" : " (a labels file: count)"));
        }
        int header = 4 + 4 * ndim;
        if (bytes.length < header) {
            throw new IOException("IDX file " + source + " is too short for its " + ndim + "-dimension header");
        }
        int[] dims = new int[ndim];
        long expected = 1;
        for (int i = 0; i < ndim; i++) {
            int o = 4 + 4 * i;
            dims[i] = ((bytes[o] & 0xff) << 24) | ((bytes[o + 1] & 0xff) << 16) | ((bytes[o + 2] & 0xff) << 8)
                    | (bytes[o + 3] & 0xff);
            if (dims[i] <= 0) {
                throw new IOException("IDX file " + source + " declares dimension " + i + " = " + dims[i]);
            }
            expected *= dims[i];
        }
        long actual = bytes.length - header;
        if (actual != expected) {
            throw new IOException("IDX file " + source + " declares dimensions " + Arrays.toString(dims) + " = "
                    + expected + " data bytes but holds " + actual + (actual < expected ? " (truncated)" : ""));
        }
        return new IdxFile(dims, Arrays.copyOfRange(bytes, header, bytes.length));
    }
}
