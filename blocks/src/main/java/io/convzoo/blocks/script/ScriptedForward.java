package io.convzoo.blocks.script;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.convzoo.blocks.infer.ConvBn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a prepared model's eval forwards as ONE TorchScript module compiled from its blocks, instead
 * of one Java call and one JNI call per engine op. Made at the first eval forward on a device: the
 * model's own prepared forward runs first (it folds the BatchNorms and gives the reference output),
 * then every block writes its forward ({@link Scriptable}, {@link ScriptWriter}) into a
 * TorchScript archive that libtorch compiles; the module is kept only if its output on that same
 * input matches the reference within 1e-4 (relative to the largest logit). The model's parameters
 * stay the source of truth: any training-mode forward, any replaced parameter array, a changed
 * watched value (a temperature) or a new device makes it stale, and the next eval forward makes it
 * again. A model that cannot be written (a block without a script form, another engine), or whose
 * module fails the check, keeps running block by block until it changes (one warning each time).
 */
public final class ScriptedForward {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptedForward.class);
    /** Logits of the script and the block-by-block forward agree within this, times max(1, max |logit|). */
    static final float TOLERANCE = 1e-4f;

    private final Block root;
    private final String name;
    private Compiled compiled;
    private Device failedOn;

    /** A scripted forward for {@code root}, named {@code name} in messages (a model id). */
    public ScriptedForward(Block root, String name) {
        this.root = root;
        this.name = name;
    }

    /**
     * The eval forward of {@code inputs}: by the compiled module when it is current for their device,
     * otherwise {@code blockByBlock} (after which the module is made when it can be).
     */
    public NDList forward(NDList inputs, Supplier<NDList> blockByBlock) {
        if (inputs.size() != 1) {
            return blockByBlock.get();
        }
        Device device = inputs.head().getDevice();
        Compiled c = acquire(device);
        if (c != null) {
            try {
                return c.module.getBlock().forward(new ParameterStore(), inputs, false);
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
                compile(inputs.head(), reference.head(), device);
            }
        }
        return reference;
    }

    /** Drops the compiled module (a training forward, parameters written in place, preparation off). */
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

    private void compile(NDArray input, NDArray reference, Device device) {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            failedOn = device;
            return;
        }
        Path dir = null;
        Model module = null;
        try {
            ScriptWriter w = new ScriptWriter(device);
            w.returns(w.emit(root, "x"));
            dir = Files.createTempDirectory("convzoo-script");
            TorchScriptArchive.write(dir.resolve("scripted.pt"), "Model", w.body(), w.constants());
            module = Model.newInstance(name, device, "PyTorch");
            module.load(dir, "scripted", Map.of("mapLocation", "true"));
            NDArray check = module.getBlock().forward(new ParameterStore(), new NDList(input), false).head();
            float scale = Math.max(1f, reference.abs().max().getFloat());
            float diff = check.sub(reference).abs().max().getFloat();
            if (!(diff <= TOLERANCE * scale)) {
                throw new IllegalStateException("scripted forward differs from the block-by-block forward by "
                        + diff + " (largest logit " + scale + ")");
            }
            compiled = new Compiled(module, device, w, parameters(root));
            module = null;
            // The module has its own copy of the folded weights: the Java ones are made again only if
            // a forward runs block by block.
            w.constants().clear();
            ConvBn.dropFolded(root);
        } catch (IOException | RuntimeException | ai.djl.MalformedModelException e) {
            failedOn = device;
            LOG.warn("{}: runs block by block, no TorchScript module ({})", name, e.getMessage());
        } finally {
            if (module != null) {
                module.close();
            }
            if (dir != null) {
                deleteQuietly(dir);
            }
        }
    }

    private static List<Pair<Parameter, NDArray>> parameters(Block root) {
        List<Pair<Parameter, NDArray>> out = new ArrayList<>();
        for (Parameter p : root.getParameters().values()) {
            out.add(new Pair<>(p, p.isInitialized() ? p.getArray() : null));
        }
        return out;
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
        final List<Pair<Parameter, NDArray>> sources;
        final NDManager owner;
        final String resourceId = UUID.randomUUID().toString();
        int users;
        boolean retired;

        Compiled(Model module, Device device, ScriptWriter writer, List<Pair<Parameter, NDArray>> sources) {
            this.module = module;
            this.device = device;
            this.writer = writer;
            this.sources = sources;
            NDArray first = sources.isEmpty() ? null : sources.get(0).getValue();
            this.owner = first == null ? null : first.getManager();
            if (owner != null) {
                owner.attachInternal(resourceId, module);
            }
        }

        boolean isCurrent(Device d) {
            if (!device.equals(d) || !writer.isCurrent() || (owner != null && !owner.isOpen())) {
                return false;
            }
            for (Pair<Parameter, NDArray> s : sources) {
                Parameter p = s.getKey();
                if (!p.isInitialized() || p.getArray() != s.getValue()) {
                    return false;
                }
            }
            return true;
        }

        void close() {
            if (owner != null && owner.isOpen()) {
                owner.detachInternal(resourceId);
            }
            module.close();
        }
    }
}
