package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive (the zip {@code torch.jit.save} writes and {@code torch.jit.load}
 * reads): one module class whose forward is TorchScript source and whose tensors are graph constants
 * ({@code CONSTANTS.c0}, ...), as a frozen module stores them. libtorch compiles the source when it
 * loads the file. Layout: {@code version}, {@code data.pkl} (the module object: its {@code training}
 * flag only), {@code code/__torch__/convzoo.py}, {@code constants.pkl} (a tuple of tensors whose
 * storages are the raw little-endian files {@code constants/<i>}).
 */
public final class TorchScriptArchive {

    /** The module's qualified class name is {@code __torch__.convzoo.<className>}. */
    static final String MODULE = "convzoo";
    private static final String ROOT = "archive/";
    /** Format version 3 is what PyTorch 1.13 writes for such archives; libtorch 2.x reads it. */
    private static final String VERSION = "3\n";

    private TorchScriptArchive() {}

    /**
     * Writes {@code file}.
     *
     * @param className the module class name (a Python identifier)
     * @param forwardBody the body of {@code forward(self, x: Tensor) -> Tensor}, indented by 4 spaces
     * @param constants the tensors {@code CONSTANTS.c<i>} refers to, in order
     */
    public static void write(Path file, String className, String forwardBody, List<NDArray> constants)
            throws IOException {
        String code = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__." + MODULE + "." + className + ",\n"
                + "    x: Tensor) -> Tensor:\n"
                + forwardBody;
        byte[] constantsPickle = constantsTuple(constants); // checks the types before anything is written
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            put(zip, "version", VERSION.getBytes(StandardCharsets.US_ASCII));
            put(zip, "data.pkl", moduleObject(className));
            put(zip, "code/__torch__/" + MODULE + ".py", code.getBytes(StandardCharsets.UTF_8));
            put(zip, "constants.pkl", constantsPickle);
            for (int i = 0; i < constants.size(); i++) {
                put(zip, "constants/" + i, storageBytes(constants.get(i)));
            }
        }
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(ROOT + name);
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

    /** {@code __torch__.convzoo.<className>} with {@code training = False}, pickle protocol 2. */
    private static byte[] moduleObject(String className) {
        Pickle p = new Pickle();
        p.global("__torch__." + MODULE, className);
        p.op(Pickle.EMPTY_TUPLE).op(Pickle.NEWOBJ).op(Pickle.EMPTY_DICT).op(Pickle.MARK);
        p.string("training").op(Pickle.NEWFALSE);
        p.op(Pickle.SETITEMS).op(Pickle.BUILD);
        return p.stop();
    }

    private static byte[] constantsTuple(List<NDArray> constants) {
        Pickle p = new Pickle();
        p.op(Pickle.MARK);
        for (int i = 0; i < constants.size(); i++) {
            tensor(p, constants.get(i), Integer.toString(i));
        }
        p.op(Pickle.TUPLE);
        return p.stop();
    }

    /** {@code torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())}. */
    private static void tensor(Pickle p, NDArray a, String key) {
        Shape shape = a.getShape();
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op(Pickle.MARK);
        p.op(Pickle.MARK).string("storage").global("torch", storageType(a.getDataType())).string(key)
                .string(location(a.getDevice())).integer(shape.size()).op(Pickle.TUPLE).op(Pickle.BINPERSID);
        p.integer(0);
        p.op(Pickle.MARK);
        for (long d : shape.getShape()) {
            p.integer(d);
        }
        p.op(Pickle.TUPLE);
        p.op(Pickle.MARK);
        long stride = 1;
        long[] strides = new long[shape.dimension()];
        for (int i = strides.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape.get(i);
        }
        for (long s : strides) {
            p.integer(s);
        }
        p.op(Pickle.TUPLE);
        p.op(Pickle.NEWFALSE);
        p.global("collections", "OrderedDict").op(Pickle.EMPTY_TUPLE).op(Pickle.REDUCE);
        p.op(Pickle.TUPLE).op(Pickle.REDUCE);
    }

    private static String storageType(DataType type) {
        return switch (type) {
            case FLOAT32 -> "FloatStorage";
            case FLOAT64 -> "DoubleStorage";
            case FLOAT16 -> "HalfStorage";
            case BFLOAT16 -> "BFloat16Storage";
            case INT64 -> "LongStorage";
            case INT32 -> "IntStorage";
            default -> throw new IllegalArgumentException("TorchScript export: unsupported data type " + type);
        };
    }

    /** PyTorch's name of the device the tensor is restored on. */
    static String location(Device device) {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
    }

    /** The tensor's elements, contiguous, little-endian (PyTorch's storage file format). */
    private static byte[] storageBytes(NDArray a) {
        ByteBuffer native_ = a.toByteBuffer();
        byte[] bytes = new byte[native_.remaining()];
        native_.get(bytes);
        if (native_.order() != ByteOrder.LITTLE_ENDIAN && a.getDataType().getNumOfBytes() > 1) {
            int width = a.getDataType().getNumOfBytes();
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

    /** The few pickle (protocol 2) opcodes these files need. */
    private static final class Pickle {
        static final int MARK = '(';
        static final int STOP = '.';
        static final int TUPLE = 't';
        static final int EMPTY_TUPLE = ')';
        static final int EMPTY_DICT = '}';
        static final int SETITEMS = 'u';
        static final int BUILD = 'b';
        static final int REDUCE = 'R';
        static final int BINPERSID = 'Q';
        static final int NEWOBJ = 0x81;
        static final int NEWFALSE = 0x89;

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80);
            out.write(2);
        }

        Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            writeInt32(b.length);
            out.writeBytes(b);
            return this;
        }

        Pickle integer(long v) {
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

        private void writeInt32(int v) {
            for (int i = 0; i < 4; i++) {
                out.write((v >>> (8 * i)) & 0xff);
            }
        }

        byte[] stop() {
            out.write(STOP);
            return out.toByteArray();
        }
    }
}
