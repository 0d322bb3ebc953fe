package io.convzoo.blocks.script;

import ai.djl.ndarray.NDArray;
import io.convzoo.blocks.script.TorchArchiveWriter.Pickler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

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
    private static final String ROOT = "archive";
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
        try (TorchArchiveWriter archive = new TorchArchiveWriter(file, ROOT)) {
            archive.put("version", VERSION.getBytes(StandardCharsets.US_ASCII));
            archive.put("data.pkl", moduleObject(className));
            archive.put("code/__torch__/" + MODULE + ".py", code.getBytes(StandardCharsets.UTF_8));
            archive.put("constants.pkl", constantsPickle);
            for (int i = 0; i < constants.size(); i++) {
                archive.putStorage("constants/" + i, constants.get(i));
            }
        }
    }

    /** {@code __torch__.convzoo.<className>} with {@code training = False}, pickle protocol 2. */
    private static byte[] moduleObject(String className) {
        Pickler p = new Pickler();
        p.global("__torch__." + MODULE, className);
        p.op(Pickler.EMPTY_TUPLE).op(Pickler.NEWOBJ).op(Pickler.EMPTY_DICT).op(Pickler.MARK);
        p.string("training").op(Pickler.NEWFALSE);
        p.op(Pickler.SETITEMS).op(Pickler.BUILD);
        return p.stop();
    }

    private static byte[] constantsTuple(List<NDArray> constants) {
        Pickler p = new Pickler();
        p.op(Pickler.MARK);
        try {
            for (int i = 0; i < constants.size(); i++) {
                p.tensor(constants.get(i), Integer.toString(i));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TorchScript export: " + e.getMessage(), e);
        }
        p.op(Pickler.TUPLE);
        return p.stop();
    }
}
