package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.CompiledSources;
import io.convzoo.blocks.ConvBnFolding;
import io.convzoo.blocks.DataflowBlock;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a prepared model's eval forwards as ONE TorchScript module written from its blocks' dataflow
 * ({@link ScriptOps}), instead of one Java call and one JNI call per engine op. Made at the first eval
 * forward on a device: the model's own prepared forward runs first (it folds the BatchNorms and gives
 * the reference output), then the script is written, compiled by libtorch and kept only if its output
 * on that input matches the reference within 1e-4 (relative to the largest logit).
 *
 * <p>The module branches where the eager forward decides per input (a batch of one or more, a
 * channels-last or contiguous layout): the first input of each such form that reaches the module is
 * run both ways and its output is used only after they agree; a form that disagrees makes the model
 * run block by block, with one warning. The model's parameters stay the source of truth: a training
 * forward, a replaced parameter array, a changed watched value (a temperature) or a new device makes
 * the module stale, and the next eval forward makes it again. A model that cannot be written (a block
 * without a script form, another engine) keeps running block by block until it changes.
 */
public final class ScriptedForward implements CompiledForward {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptedForward.class);
    /** The file name (without .pt) DJL loads a written module from. */
    private static final String ARCHIVE_NAME = "scripted";
    /** libtorch's is_contiguous and the object to call it on (DJL keeps both package-private), or nulls. */
    private static final Method IS_CONTIGUOUS;
    private static final Object TORCH;

    static {
        Method probe = null;
        Object torch = null;
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            probe = lib.getDeclaredMethod("torchIsContiguous", long.class);
            probe.setAccessible(true);
            java.lang.reflect.Field instance = lib.getDeclaredField("LIB");
            instance.setAccessible(true);
            torch = instance.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            probe = null;
        }
        IS_CONTIGUOUS = probe;
        TORCH = torch;
    }

    private final Block root;
    private final String name;
    private Compiled compiled;
    private Device failedOn;

    /** A scripted forward for {@code root}, named {@code name} in messages (a model id). */
    public ScriptedForward(Block root, String name) {
        this.root = root;
        this.name = name;
    }

    @Override
    public NDList forward(NDList inputs, Supplier<NDList> blockByBlock) {
        if (inputs.size() != 1) {
            return blockByBlock.get();
        }
        NDArray x = inputs.head();
        Device device = x.getDevice();
        String form = formOf(x);
        Compiled c = acquire(device);
        if (c != null) {
            try {
                if (c.checkedForms.contains(form)) {
                    return c.module.getBlock().forward(new ParameterStore(), inputs, false);
                }
                NDList reference = blockByBlock.get();
                checkForm(c, form, x, reference.head());
                return reference;
            } catch (EngineException e) {
                // An input the script cannot take (wrong channels, too small): the blocks' own checks
                // name the problem, or they compute what the model computes.
                return blockByBlock.get();
            } finally {
                release(c);
            }
        }
        NDList reference = blockByBlock.get();
        synchronized (this) {
            if (compiled == null && !device.equals(failedOn) && reference.size() == 1) {
                compile(x, reference.head(), device, form);
            }
        }
        return reference;
    }

    /**
     * What the module's branches depend on: a batch of one or more, and whether the input is laid out
     * contiguously (NCHW) or otherwise (channels-last).
     */
    static String formOf(NDArray x) {
        boolean one = x.getShape().dimension() > 0 && x.getShape().get(0) == 1;
        return (one ? "batch 1" : "batch > 1") + ", " + contiguity(x);
    }

    private static String contiguity(NDArray x) {
        if (IS_CONTIGUOUS == null || !(x instanceof ai.djl.util.NativeResource<?> resource)) {
            return "unknown layout";
        }
        try {
            return Boolean.TRUE.equals(IS_CONTIGUOUS.invoke(TORCH, resource.getHandle())) ? "contiguous" : "strided";
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "unknown layout";
        }
    }

    /** Runs the module on a new form and keeps the form only if it agrees with the block-by-block output. */
    private void checkForm(Compiled c, String form, NDArray x, NDArray reference) {
        NDArray scripted = c.module.getBlock().forward(new ParameterStore(), new NDList(x), false).head();
        String difference = CompiledSources.difference(scripted, reference);
        synchronized (this) {
            if (difference == null) {
                c.checkedForms.add(form);
            } else if (compiled == c) {
                LOG.warn("{}: runs block by block, the TorchScript module differs on inputs of form {} ({})", name, form,
                        difference);
                invalidate();
                failedOn = c.device;
            }
        }
    }

    @Override
    public synchronized void invalidate() {
        if (compiled != null) {
            compiled.retired = true;
            closeIfUnused(compiled);
            compiled = null;
        }
        failedOn = null;
    }

    /** Whether eval forwards on {@code device} currently run the compiled module. */
    public synchronized boolean isCompiledFor(Device device) {
        Compiled c = compiled;
        if (c != null && !c.isCurrent(device)) {
            invalidate();
        }
        return compiled != null;
    }

    /** The input forms checked so far on the current module (empty when there is none). */
    public synchronized Set<String> checkedForms() {
        return compiled == null ? Set.of() : Set.copyOf(compiled.checkedForms);
    }

    /** The current module for {@code device}, counted as in use until {@link #release}; or null. */
    private synchronized Compiled acquire(Device device) {
        if (!isCompiledFor(device)) {
            return null;
        }
        compiled.users++;
        return compiled;
    }

    /** A forward on {@code c} ended; a module dropped meanwhile is closed by its last user. */
    private synchronized void release(Compiled c) {
        c.users--;
        closeIfUnused(c);
    }

    private static void closeIfUnused(Compiled c) {
        if (c.retired && c.users == 0) {
            c.close();
        }
    }

    private void compile(NDArray input, NDArray reference, Device device, String form) {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            failedOn = device;
            return;
        }
        Path dir = null;
        Model module = null;
        ScriptWriter w = null;
        try {
            dir = Files.createTempDirectory("convzoo-script");
            w = writeArchive(root, device, dir.resolve(ARCHIVE_NAME + ".pt"));
            module = load(dir, name, device);
            NDArray check = module.getBlock().forward(new ParameterStore(), new NDList(input), false).head();
            String difference = CompiledSources.difference(check, reference);
            if (difference != null) {
                throw new IllegalStateException("scripted forward " + difference);
            }
            compiled = new Compiled(module, device, w, new CompiledSources(root));
            compiled.checkedForms.add(form);
            module = null;
            // The module has its own copy of the folded weights: the Java ones are made again only if
            // a forward runs block by block.
            ConvBnFolding folding = ConvBnFolding.installed();
            if (folding != null) {
                folding.dropFolded(root);
            }
        } catch (IOException | RuntimeException | ai.djl.MalformedModelException e) {
            failedOn = device;
            LOG.warn("{}: runs block by block, no TorchScript module ({})", name, e.getMessage());
        } finally {
            if (w != null) {
                w.releaseConstants();
            }
            if (module != null) {
                module.close();
            }
            if (dir != null) {
                deleteQuietly(dir);
            }
        }
    }

    /**
     * Writes {@code root}'s eval forward on the device of {@code sample} as a standalone TorchScript
     * file, the module the scripted forward runs ({@code torch.jit.load} and DJL load it; its tensors
     * are constants, BatchNorms folded as the preparation folds them). Runs the block-by-block eval
     * forward of {@code sample} first (it folds, and it is the reference), loads the written module
     * back and moves it to {@code file} only if its output matches within the scripted forward's
     * tolerance. Call it with autograd recording off; the root's compiled forward is made again at
     * its next eval forward.
     *
     * @throws UnsupportedOperationException a block has no script form
     * @throws IllegalStateException the module's output differs from the block-by-block output
     */
    public static void export(DataflowBlock root, NDArray sample, Path file) throws IOException {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            throw new UnsupportedOperationException("TorchScript export needs the PyTorch engine, not "
                    + Engine.getInstance().getEngineName());
        }
        CompiledForward previous = root.getCompiledForward();
        root.setCompiledForward(null);
        Path dir = Files.createTempDirectory("convzoo-export");
        ScriptWriter w = null;
        try (NDManager scope = sample.getManager().newSubManager()) {
            NDArray reference = root.forward(new ParameterStore(scope, false), new NDList(sample), false).head();
            Path written = dir.resolve(ARCHIVE_NAME + ".pt");
            w = writeArchive(root, sample.getDevice(), written);
            try (Model module = load(dir, "export", sample.getDevice())) {
                NDArray check = module.getBlock().forward(new ParameterStore(), new NDList(sample), false).head();
                String difference = CompiledSources.difference(check, reference);
                if (difference != null) {
                    throw new IllegalStateException("the written TorchScript module " + difference);
                }
            } catch (ai.djl.MalformedModelException e) {
                throw new IOException("libtorch cannot load the written TorchScript module: " + e.getMessage(), e);
            }
            Files.move(written, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            if (w != null) {
                w.releaseConstants();
            }
            deleteQuietly(dir);
            root.setCompiledForward(previous);
        }
    }

    /** Writes {@code root}'s script for {@code device} to {@code file}; the caller releases the writer's constants. */
    private static ScriptWriter writeArchive(Block root, Device device, Path file) throws IOException {
        ScriptWriter w = new ScriptWriter(device);
        try {
            List<String> outputs = ScriptOps.write(w, root, "x");
            if (outputs.size() != 1) {
                throw new UnsupportedOperationException("the model returns " + outputs.size() + " values");
            }
            w.returns(outputs.get(0));
            TorchScriptArchive.write(file, "Model", w.body(), w.constants());
            return w;
        } catch (IOException | RuntimeException e) {
            w.releaseConstants();
            throw e;
        }
    }

    /** The module {@code <dir>/scripted.pt}, loaded by DJL onto {@code device}. */
    private static Model load(Path dir, String name, Device device) throws IOException, ai.djl.MalformedModelException {
        Model module = Model.newInstance(name, device, "PyTorch");
        try {
            module.load(dir, ARCHIVE_NAME, Map.of("mapLocation", "true"));
            return module;
        } catch (IOException | RuntimeException | ai.djl.MalformedModelException e) {
            module.close();
            throw e;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    /**
     * A loaded module and what it was made from. Its native memory goes with the model's: it is
     * attached to the manager of the model's parameters, so closing the model closes it too.
     */
    private static final class Compiled {
        final Model module;
        final Device device;
        final ScriptWriter writer;
        final CompiledSources sources;
        final NDManager owner;
        final String resourceId = UUID.randomUUID().toString();
        /** Input forms whose module output was checked against the block-by-block forward; guarded by the forward. */
        final Set<String> checkedForms = ConcurrentHashMap.newKeySet();
        int users;
        boolean retired;

        Compiled(Model module, Device device, ScriptWriter writer, CompiledSources sources) {
            this.module = module;
            this.device = device;
            this.writer = writer;
            this.sources = sources;
            this.owner = sources.owner();
            if (owner != null) {
                owner.attachInternal(resourceId, module);
            }
        }

        boolean isCurrent(Device d) {
            return device.equals(d) && writer.isCurrent() && sources.isCurrent();
        }

        void close() {
            if (owner != null && owner.isOpen()) {
                owner.detachInternal(resourceId);
            }
            module.close();
        }
    }
}
