package io.convzoo.zoo.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.blocks.BlockTree;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.InferencePreparable;
import io.convzoo.blocks.infer.ChannelsLast;
import io.convzoo.blocks.infer.ConvBn;
import io.convzoo.blocks.onnx.OnnxOps;
import io.convzoo.blocks.script.ScriptedForward;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Inference helpers for zoo models: the preparation pass and a scoped eval-mode forward.
 *
 * <ul>
 *   <li>{@link #prepare(Block)}: folds every conv + BatchNorm pair into one conv for eval-mode forwards
 *       (see {@link ConvBn}) and switches on blocks' own preparations ({@link InferencePreparable}, e.g.
 *       HetConv's kernel made once); the parameters are untouched and training still works.</li>
 *   <li>Scripted eval forwards ({@link #prepare(Block, boolean)}, on by default): the prepared model's
 *       blocks write their forward as TorchScript ({@link ScriptedForward}), libtorch compiles it once,
 *       and each eval forward is then one native call instead of one per op (Java and JNI cost ~1 µs
 *       per op: several hundred per forward).</li>
 *   <li>Channels-last inputs for prepared models at batches of 4 or more on CPU
 *       ({@link #preparedInput}, {@link ChannelsLast}): the whole forward then runs in that memory
 *       format, which is faster from batch 4 (docs/benchmarks.md).</li>
 *   <li>{@link #forward}: one eval forward whose intermediate arrays live in a sub-manager closed
 *       before returning (only the outputs survive, attached to the input's manager), with autograd
 *       recording off on the calling thread. Without the scope every intermediate would stay attached
 *       to the input's long-lived manager, and forwards get slower and memory grows round after round.</li>
 * </ul>
 */
public final class Inference {

    private static final Method SET_GRAD_MODE = gradModeSetter();

    /** Models (by identity) that went through {@link #prepare}. */
    private static final Map<Block, Boolean> PREPARED = Collections.synchronizedMap(new WeakHashMap<>());
    /** Why a prepared model asked to run on ONNX Runtime runs on libtorch. */
    private static final Map<Block, String> RUNTIME_NOTES = Collections.synchronizedMap(new WeakHashMap<>());

    private Inference() {}

    /**
     * The inference preparation pass on {@code model} (initialized or not): call it after loading
     * weights, and again if parameter values are later overwritten in place. Returns the number of
     * foldable BatchNorms.
     */
    public static int prepare(Block model) {
        return prepare(model, true);
    }

    /**
     * {@link #prepare(Block)}; with {@code script}, eval forwards of a model whose root is a
     * {@link DataflowBlock} (every zoo model) then run as one TorchScript module written from its
     * blocks ({@link ScriptedForward}), made at the first eval forward on a device and checked against
     * it on each form of input it branches on; without, block by block.
     */
    public static int prepare(Block model, boolean script) {
        return prepare(model, script, Runtime.LIBTORCH);
    }

    /** Where a prepared model's eval forwards run ({@code optArgument("runtime", ...)}). */
    public enum Runtime {
        /** libtorch: the scripted forward (or block by block). */
        LIBTORCH,
        /** ONNX Runtime on CPU ({@link OnnxRuntimeForward}); models without an ONNX form stay on libtorch. */
        ONNXRUNTIME,
        /**
         * ONNX Runtime where the model has an ONNX form and its weights are on the CPU, else libtorch; per input
         * size, the one of the two measured faster on the first forwards ({@link OnnxRuntimeForward}).
         */
        AUTO;

        /** The runtime named {@code name} (libtorch, onnxruntime, auto; any case). */
        public static Runtime parse(String name) {
            for (Runtime r : values()) {
                if (r.name().equalsIgnoreCase(name.trim())) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown runtime '" + name + "'; known: libtorch, onnxruntime, auto");
        }
    }

    /**
     * {@link #prepare(Block, boolean)} with eval forwards on {@code runtime}. ONNX Runtime is used for
     * a zoo model (a {@link DataflowBlock} root whose first input has {@code channels}) on CPU; a model
     * without an ONNX form runs on libtorch (scripted when {@code script}), and
     * {@link #runtimeOf} says which one and why.
     */
    public static int prepare(Block model, boolean script, Runtime runtime) {
        BlockTree.findAll(model, InferencePreparable.class).forEach(b -> b.prepareInference(true));
        PREPARED.put(model, Boolean.TRUE);
        if (model instanceof DataflowBlock root) {
            ScriptedForward scripted = script ? new ScriptedForward(root, model.toString()) : null;
            CompiledForward compiled = scripted;
            if (runtime != Runtime.LIBTORCH && script) { // script=false: block by block, nothing compiled
                String unsupported = OnnxOps.unsupported(root);
                boolean onCpu = parametersOnCpu(root);
                if (unsupported == null && onCpu) {
                    compiled = new OnnxRuntimeForward(root, model.toString(), inputChannels(root), scripted,
                            runtime == Runtime.AUTO ? System::nanoTime : null);
                    RUNTIME_NOTES.remove(model);
                } else {
                    RUNTIME_NOTES.put(model, unsupported != null ? "no ONNX form: " + unsupported
                            : "the weights are not on the CPU");
                }
            }
            root.setCompiledForward(compiled);
        }
        return ConvBn.enableFolding(model);
    }

    /**
     * Where a prepared model's eval forwards run: "onnxruntime", or "libtorch" with the reason when
     * ONNX Runtime was asked for and cannot take it.
     */
    public static String runtimeOf(Block model) {
        if (model instanceof DataflowBlock root && root.getCompiledForward() instanceof OnnxRuntimeForward ort) {
            return ort.runtime();
        }
        String note = RUNTIME_NOTES.get(model);
        return note == null ? "libtorch" : "libtorch (" + note + ")";
    }

    private static boolean parametersOnCpu(Block root) {
        for (ai.djl.nn.Parameter p : root.getParameters().values()) {
            if (p.isInitialized()) {
                return p.getArray().getDevice().getDeviceType().equals(ai.djl.Device.Type.CPU);
            }
        }
        return true;
    }

    /** The input channels of the model's first weight (its stem conv). */
    private static long inputChannels(Block root) {
        for (ai.djl.nn.Parameter p : root.getParameters().values()) {
            if (p.isInitialized() && p.getArray().getShape().dimension() == 4) {
                return p.getArray().getShape().get(1);
            }
        }
        return 3;
    }

    /** Whether {@code model} went through {@link #prepare} (and not {@link #unprepare} since). */
    public static boolean isPrepared(Block model) {
        return PREPARED.containsKey(model);
    }

    /** Undoes {@link #prepare}. */
    public static void unprepare(Block model) {
        if (model instanceof DataflowBlock root) {
            root.setCompiledForward(null);
        }
        BlockTree.findAll(model, InferencePreparable.class).forEach(b -> b.prepareInference(false));
        PREPARED.remove(model);
        ConvBn.disableFolding(model);
    }

    /**
     * The input an eval forward of {@code model} should be given: for a {@link #prepare prepared}
     * model and a batch where it pays ({@link ChannelsLast#pays}), a channels-last copy of {@code x},
     * unless its compiled forward lays out its input itself (ONNX Runtime's, which hands libtorch its
     * batches channels-last); otherwise {@code x} itself. Callers that run the model's forward
     * themselves (a DJL translator) use it on the batch they built.
     */
    public static NDArray preparedInput(Block model, NDArray x) {
        if (!PREPARED.containsKey(model) || !ChannelsLast.pays(x)) {
            return x;
        }
        CompiledForward compiled = model instanceof DataflowBlock root ? root.getCompiledForward() : null;
        return compiled == null || compiled.wantsChannelsLastBatches() ? ChannelsLast.of(x) : x;
    }

    /**
     * One eval-mode forward of {@code x}; the outputs are attached to {@code x}'s manager, every
     * intermediate array is freed before returning.
     */
    public static NDList forward(Block model, ParameterStore ps, NDArray x) {
        noGrad();
        NDManager owner = x.getManager();
        try (NDManager scope = owner.newSubManager()) {
            x.tempAttach(scope);
            NDList out = model.forward(ps, new NDList(preparedInput(model, x)), false);
            out.attach(owner);
            return out;
        }
    }

    /**
     * Turns PyTorch's autograd recording off on this thread (grad mode is thread-local; DJL turns it
     * off only on the thread that loaded the engine). No-op on other engines.
     */
    public static void noGrad() {
        if (SET_GRAD_MODE != null) {
            try {
                SET_GRAD_MODE.invoke(null, false);
            } catch (ReflectiveOperationException | RuntimeException ignored) {
                // not the PyTorch engine: nothing to switch off
            }
        }
    }

    private static Method gradModeSetter() {
        try {
            return Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("setGradMode", boolean.class);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
