package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the zip archives PyTorch reads ({@code torch.load} and {@code torch.jit.load}): uncompressed
 * records under one folder, pickles (protocol 2) whose tensors are {@code _rebuild_tensor_v2} calls on
 * persistent storages, and each storage as a raw little-endian record. Shared by the TorchScript
 * module file ({@link TorchScriptArchive}) and the state_dict export of the zoo.
 */
public final class TorchArchiveWriter implements Closeable {

    private final ZipOutputStream zip;
    private final String root;

    /** Opens {@code file} for writing; every record goes under the folder {@code root}. */
    public TorchArchiveWriter(Path file, String root) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        this.zip = new ZipOutputStream(os);
        this.root = root.endsWith("/") ? root : root + "/";
    }

    /** Adds the record {@code <root>/<name>}. */
    public void put(String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(root + name);
        e.setMethod(ZipEntry.STORED); // libtorch reads stored records without inflating
        e.setSize(bytes.length);
        e.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
    }

    /** Adds {@code a}'s elements as the storage record {@code <root>/<name>}. */
    public void putStorage(String name, NDArray a) throws IOException {
        put(name, storageBytes(a));
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }

    /** PyTorch's storage class of a data type (the floats and the integers a model holds). */
    public static String storageType(DataType type) {
        return switch (type) {
            case FLOAT32 -> "FloatStorage";
            case FLOAT64 -> "DoubleStorage";
            case FLOAT16 -> "HalfStorage";
            case BFLOAT16 -> "BFloat16Storage";
            case INT64 -> "LongStorage";
            case INT32 -> "IntStorage";
            default -> throw new IllegalArgumentException("unsupported data type " + type);
        };
    }

    /** PyTorch's name of the device a tensor is restored on. */
    public static String location(Device device) {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
    }

    /** The tensor's elements, contiguous, little-endian (PyTorch's storage record format). */
    public static byte[] storageBytes(NDArray a) {
        ByteBuffer native_ = a.toByteBuffer();
        byte[] bytes = new byte[native_.remaining()];
        native_.get(bytes);
        int width = a.getDataType().getNumOfBytes();
        if (native_.order() != ByteOrder.LITTLE_ENDIAN && width > 1) {
            for (int i = 0; i < bytes.length; i += width) {
                for (int j = 0; j < width / 2; j++) {
                    byte t = bytes[i + j];
                    bytes[i + j] = bytes[i + width - 1 - j];
                    bytes[i + width - 1 - j] = t;
                }
            }
        }
        return bytes;
    }

    /** The few pickle (protocol 2) opcodes these archives need, and PyTorch's tensor reference. */
    public static final class Pickler {
        public static final int MARK = '(';
        public static final int TUPLE = 't';
        public static final int EMPTY_TUPLE = ')';
        public static final int EMPTY_DICT = '}';
        public static final int SETITEMS = 'u';
        public static final int BUILD = 'b';
        public static final int REDUCE = 'R';
        public static final int BINPERSID = 'Q';
        public static final int NEWOBJ = 0x81;
        public static final int NEWFALSE = 0x89;
        private static final int STOP = '.';

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pickler() {
            out.write(0x80);
            out.write(2);
        }

        public Pickler op(int opcode) {
            out.write(opcode);
            return this;
        }

        public Pickler global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        public Pickler string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            writeInt32(b.length);
            out.writeBytes(b);
            return this;
        }

        public Pickler integer(long v) {
            if (v >= 0 && v < 256) {
                out.write('K');
                out.write((int) v);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J');
                writeInt32((int) v);
            } else {
                out.write(0x8a); // LONG1: 8 little-endian bytes
                out.write(8);
                for (int i = 0; i < 8; i++) {
                    out.write((int) (v >>> (8 * i)) & 0xff);
                }
            }
            return this;
        }

        /**
         * {@code torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())}, the
         * storage being the record {@code storageKey} (contiguous strides, as {@link #storageBytes}),
         * restored on {@code a}'s device.
         */
        public Pickler tensor(NDArray a, String storageKey) {
            return tensor(a, storageKey, location(a.getDevice()));
        }

        /** {@link #tensor(NDArray, String)} restored on the device PyTorch names {@code location}. */
        public Pickler tensor(NDArray a, String storageKey, String location) {
            Shape shape = a.getShape();
            global("torch._utils", "_rebuild_tensor_v2");
            op(MARK);
            op(MARK).string("storage").global("torch", storageType(a.getDataType())).string(storageKey)
                    .string(location).integer(shape.size()).op(TUPLE).op(BINPERSID);
            integer(0);
            op(MARK);
            for (long d : shape.getShape()) {
                integer(d);
            }
            op(TUPLE);
            op(MARK);
            long stride = 1;
            long[] strides = new long[shape.dimension()];
            for (int i = strides.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape.get(i);
            }
            for (long s : strides) {
                integer(s);
            }
            op(TUPLE);
            op(NEWFALSE);
            global("collections", "OrderedDict").op(EMPTY_TUPLE).op(REDUCE);
            return op(TUPLE).op(REDUCE);
        }

        private void writeInt32(int v) {
            for (int i = 0; i < 4; i++) {
                out.write((v >>> (8 * i)) & 0xff);
            }
        }

        /** The pickle, ended. */
        public byte[] stop() {
            out.write(STOP);
            return out.toByteArray();
        }
    }
}
