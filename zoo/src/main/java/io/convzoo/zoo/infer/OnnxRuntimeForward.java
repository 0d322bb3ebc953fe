package io.convzoo.zoo.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.convzoo.blocks.CompiledForward;
import io.convzoo.blocks.CompiledSources;
import io.convzoo.blocks.ConvBnFolding;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.infer.ChannelsLast;
import io.convzoo.blocks.onnx.OnnxGraph;
import io.convzoo.blocks.onnx.OnnxOps;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a prepared model's eval forwards on CPU through ONNX Runtime: the model's dataflow written as
 * an ONNX graph ({@link OnnxOps}, BatchNorms folded), run by an ORT session with all graph
 * optimizations. Made at the first eval forward, like the scripted forward: the block-by-block
 * forward runs first (it folds, and it is the reference), the graph is written and the session kept
 * only if its output matches within {@link CompiledSources#TOLERANCE}. Inputs on another device, a
 * model without an ONNX form or a session that cannot be made go to
 * {@code libtorch}, the compiled forward the model would otherwise run (the scripted one), and
 * {@link #runtime()} says so. A training forward or new parameter arrays make the sessions stale.
 *
 * <p>Each input size (H × W) gets its own session with the graph's symbolic height and width pinned
 * to it (batch stays dynamic), for the first {@link #PINNED_SIZES} sizes seen; later sizes share one
 * session with dynamic sizes. Pinned, ORT's optimizer fuses every conv with its ReLU and residual add
 * and needs no reshapes around its blocked layout; with dynamic sizes it leaves 48 Reshape, 16 Add
 * and 16 Relu nodes more in Res2Net-50 (docs/benchmarks.md). Each session holds its own copy of the
 * folded weights; all of them share one intra-op thread pool ({@link OnnxRuntimeEnvironment}). A model
 * with dynamic convolution has an ONNX form only for a fixed batch size
 * ({@link OnnxOps.FixedBatchOnly}): its sessions are pinned to [N, H, W], and inputs of other shapes,
 * once {@link #PINNED_SIZES} are pinned, run on {@code libtorch}.
 *
 * <p>Made for {@code runtime=auto} (with a trial clock), it also times both runtimes on each input shape
 * [N, H, W] that has a session (the first {@link #MAX_TRIALS}): after one untimed libtorch forward (it
 * compiles), {@link #TRIAL_ROUNDS} rounds of two forwards on each runtime, timing the second (the first
 * would pay for the other runtime's threads still spinning), then keeps libtorch for that shape if its
 * median is below {@link #LIBTORCH_MARGIN} of ONNX Runtime's, else ONNX Runtime (pyconvresnet50 at batch 8 runs faster
 * on libtorch, docs/benchmarks.md), and times both again after {@link #RETRIAL_FORWARDS} forwards
 * ({@link Trial}). Every trial forward is a real answer: both are exact.
 */
public final class OnnxRuntimeForward implements CompiledForward {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeForward.class);

    private final Block root;
    private final String name;
    private final long channels;
    private final CompiledForward libtorch;
    /** Sizes that get a session of their own; later sizes share the dynamic one. */
    static final int PINNED_SIZES = 2;
    /** Key of the session with dynamic height and width. */
    private static final List<Long> ANY_SIZE = List.of();

    /** Sessions by pinned input size [H, W], or {@link #ANY_SIZE}. */
    private final Map<List<Long>, Session> sessions = new HashMap<>();
    /** Whether the graph has an ONNX form only for a fixed batch (dynamic convolution); null until known. */
    private Boolean fixedBatch;
    /** Why the model runs on libtorch instead, or null while ONNX Runtime is (or may be) used. */
    private volatile String onLibtorchBecause;
    /** Timed forwards of each runtime per input shape before {@code auto} chooses. */
    static final int TRIAL_ROUNDS = 5;
    /**
     * libtorch is kept only when its median is below this fraction of ONNX Runtime's: ORT is the faster for most
     * shapes, and a few timed forwards on a busy machine should not move a shape off it for a smaller difference.
     */
    static final double LIBTORCH_MARGIN = 0.95;
    /** Forwards of a new input shape until {@code auto} has chosen: the first (it makes the session), the trial's. */
    public static final int TRIAL_FORWARDS = 2 + 4 * TRIAL_ROUNDS;
    /** The clock trials are timed with; null: no trials, ONNX Runtime wherever it has a session. */
    private final LongSupplier trialClock;
    /** Forwards of a shape on its chosen runtime before {@code auto} times both again ({@link Trial}). */
    static final int RETRIAL_FORWARDS = 2000;
    /** Trials whose timed forwards together make each new choice. */
    static final int POOLED_TRIALS = 4;
    /** Input shapes [N, H, W] measured at most; later ones run on ONNX Runtime (a bound for varying inputs). */
    static final int MAX_TRIALS = 32;
    /** With {@code auto}: the trial, then the choice, per input shape [N, H, W]. */
    private final Map<List<Long>, Trial> trials = new HashMap<>();

    /**
     * @param root the model's root
     * @param name the model's name in messages
     * @param channels the input channels the graph is written for
     * @param libtorch the compiled forward used where ONNX Runtime is not (the scripted forward), or null: block by block
     */
    public OnnxRuntimeForward(Block root, String name, long channels, CompiledForward libtorch) {
        this(root, name, channels, libtorch, null);
    }

    /**
     * @param trialClock with a libtorch forward, {@code runtime=auto}: each input shape runs on the runtime
     *                   measured faster by this clock (nanoseconds, {@code System::nanoTime}); null: always ONNX Runtime
     */
    OnnxRuntimeForward(Block root, String name, long channels, CompiledForward libtorch, LongSupplier trialClock) {
        this.root = root;
        this.name = name;
        this.channels = channels;
        this.libtorch = libtorch;
        this.trialClock = libtorch == null ? null : trialClock;
    }

    /**
     * "onnxruntime", or "libtorch (why)" once the model was found to need libtorch; with {@code auto}, the
     * input shapes [N, H, W] measured faster on libtorch, e.g. "onnxruntime; libtorch at [8, 224, 224] (measured faster)".
     */
    public synchronized String runtime() {
        String why = onLibtorchBecause;
        if (why != null) {
            return "libtorch (" + why + ")";
        }
        List<String> onLibtorch = trials.entrySet().stream().filter(e -> e.getValue().choseLibtorch())
                .map(e -> e.getKey().toString()).sorted().collect(java.util.stream.Collectors.toList());
        return onLibtorch.isEmpty() ? "onnxruntime"
                : "onnxruntime; libtorch at " + String.join(", ", onLibtorch) + " (measured faster)";
    }

    /** The keys of the current sessions: pinned [H, W] sizes, and [] for the one with dynamic sizes. */
    synchronized List<List<Long>> sessionSizes() {
        return sessions.entrySet().stream().filter(e -> e.getValue().isCurrent()).map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toList());
    }

    /** Whether eval forwards currently run an ONNX Runtime session. */
    public synchronized boolean hasSession() {
        return sessions.values().stream().anyMatch(Session::isCurrent);
    }

    @Override
    public NDList forward(NDList inputs, Supplier<NDList> blockByBlock) {
        NDArray x = inputs.size() == 1 ? inputs.head() : null;
        if (x == null || x.getShape().dimension() != 4 || x.getDataType() != DataType.FLOAT32
                || !x.getDevice().getDeviceType().equals(Device.Type.CPU) || onLibtorchBecause != null) {
            return onLibtorch(inputs, blockByBlock);
        }
        List<Long> size = sessionSize(x.getShape());
        if (size == null) {
            return onLibtorch(inputs, blockByBlock);
        }
        Session s = acquire(size);
        if (s != null) {
            Trial trial = trialOf(x.getShape());
            try {
                if (trial == null) {
                    return new NDList(s.run(x));
                }
                int slot = trial.nextSlot();
                boolean onOrt = trial.runsOrt(slot);
                long start = trialClock.getAsLong();
                NDList out = onOrt ? new NDList(s.run(x)) : onLibtorch(inputs, blockByBlock);
                if (trial.record(slot, trialClock.getAsLong() - start)) {
                    LOG.info("{}: {} at {}, measured faster ({})", name, trial.choseLibtorch() ? "libtorch" : "onnxruntime",
                            List.of(x.getShape().get(0), x.getShape().get(2), x.getShape().get(3)), trial);
                }
                return out;
            } catch (OrtException e) {
                // An input the graph cannot take (wrong channels): the blocks' checks name the problem.
                return blockByBlock.get();
            } finally {
                release(s);
            }
        }
        NDList reference = blockByBlock.get();
        synchronized (this) {
            if (!sessions.containsKey(size) && onLibtorchBecause == null && reference.size() == 1) {
                create(size, x, reference.head());
            }
        }
        return reference;
    }

    /**
     * Writes {@code root}'s eval forward as a standalone ONNX file: runs the block-by-block eval forward
     * of {@code sample} first (it folds, and it is the reference), writes the graph, and keeps it only if
     * ONNX Runtime's output on {@code sample} matches within {@link CompiledSources#TOLERANCE}.
     *
     * @throws UnsupportedOperationException a block has no ONNX form for a dynamic batch (dynamic convolution)
     * @throws IllegalStateException ONNX Runtime's output differs
     */
    public static void export(DataflowBlock root, NDArray sample, java.nio.file.Path file) throws java.io.IOException {
        CompiledForward previous = root.getCompiledForward();
        root.setCompiledForward(null);
        try (NDManager scope = sample.getManager().newSubManager()) {
            NDArray reference = root.forward(new ai.djl.training.ParameterStore(scope, false), new NDList(sample), false)
                    .head();
            long channels = sample.getShape().get(1);
            byte[] model = OnnxOps.write(root, sample.getDevice(), 0, channels, root.toString());
            try (Session s = new Session(model, new CompiledSources(root), ANY_SIZE)) {
                String difference = CompiledSources.difference(s.run(sample), reference);
                if (difference != null) {
                    throw new IllegalStateException("the written ONNX model on ONNX Runtime " + difference);
                }
            } catch (OrtException e) {
                throw new java.io.IOException("ONNX Runtime cannot run the written model: " + e.getMessage(), e);
            }
            java.nio.file.Files.write(file, model);
        } finally {
            root.setCompiledForward(previous);
        }
    }

    /** Batches come as they are: ONNX Runtime reads NCHW, and libtorch gets its channels-last copy here. */
    @Override
    public boolean wantsChannelsLastBatches() {
        return false;
    }

    private NDList onLibtorch(NDList inputs, Supplier<NDList> blockByBlock) {
        if (libtorch == null) {
            return blockByBlock.get();
        }
        if (inputs.size() == 1 && ChannelsLast.pays(inputs.head()) && libtorch.wantsChannelsLastBatches()) {
            return libtorch.forward(new NDList(ChannelsLast.of(inputs.head())), blockByBlock);
        }
        return libtorch.forward(inputs, blockByBlock);
    }

    /**
     * The session key of an input of {@code shape}: its [H, W] ([N, H, W] for a graph that needs a fixed
     * batch) while sizes are left to pin; then any size, or null (libtorch) for a fixed-batch graph.
     */
    private synchronized List<Long> sessionSize(Shape shape) {
        if (fixedBatch == null) {
            fixedBatch = OnnxOps.needsFixedBatch(root);
        }
        List<Long> size = fixedBatch ? List.of(shape.get(0), shape.get(2), shape.get(3))
                : List.of(shape.get(2), shape.get(3));
        if (sessions.containsKey(size)) {
            return size;
        }
        long pinned = sessions.keySet().stream().filter(k -> !k.equals(ANY_SIZE)).count();
        if (pinned < PINNED_SIZES) {
            return size;
        }
        return fixedBatch ? null : ANY_SIZE;
    }

    private void create(List<Long> size, NDArray x, NDArray reference) {
        Session s = null;
        try {
            // Written for ORT's blocked layout where it has one: chunks it cannot block come padded (OnnxOps).
            byte[] model = OnnxOps.write(root, x.getDevice(), size.size() == 3 ? size.get(0) : 0, channels, name,
                    OnnxOps.blockedLayoutHere());
            s = new Session(model, new CompiledSources(root), size);
            String difference = CompiledSources.difference(s.run(x), reference);
            if (difference != null) {
                throw new IllegalStateException("the ONNX Runtime session " + difference);
            }
            sessions.put(size, s);
            s = null;
            ConvBnFolding folding = ConvBnFolding.installed();
            if (folding != null) {
                folding.dropFolded(root); // the session holds its own copy of the folded weights
            }
        } catch (UnsupportedOperationException e) {
            onLibtorchBecause = "no ONNX form: " + e.getMessage();
            LOG.info("{}: runs on libtorch, {}", name, onLibtorchBecause);
        } catch (OrtException | RuntimeException e) {
            onLibtorchBecause = "ONNX Runtime failed: " + e.getMessage();
            LOG.warn("{}: runs on libtorch, {}", name, onLibtorchBecause);
        } finally {
            if (s != null) {
                s.close();
            }
        }
    }

    /** The trial of inputs of {@code shape}'s [N, H, W] (the faster runtime may differ per batch size). */
    private synchronized Trial trialOf(Shape shape) {
        if (trialClock == null) {
            return null;
        }
        List<Long> key = List.of(shape.get(0), shape.get(2), shape.get(3));
        Trial trial = trials.get(key);
        if (trial == null && trials.size() < MAX_TRIALS) {
            trial = new Trial(RETRIAL_FORWARDS);
            trials.put(key, trial);
        }
        return trial;
    }

    private synchronized Session acquire(List<Long> size) {
        Session s = sessions.get(size);
        if (s != null && !s.isCurrent()) {
            invalidate();
            return null;
        }
        if (s != null) {
            s.users++;
        }
        return s;
    }

    private synchronized void release(Session s) {
        s.users--;
        s.closeIfRetiredAndUnused();
    }

    @Override
    public synchronized void invalidate() {
        for (Session s : sessions.values()) {
            s.retired = true;
            s.closeIfRetiredAndUnused();
        }
        sessions.clear();
        trials.clear(); // new weights: measure again
        if (libtorch != null) {
            libtorch.invalidate();
        }
    }

    /**
     * {@code auto}'s measurement for one input shape. Slot 0 is an untimed libtorch forward (it compiles);
     * slots 1 .. 4 × {@link #TRIAL_ROUNDS} run in rounds of four: ONNX Runtime untimed, ONNX Runtime timed,
     * libtorch untimed, libtorch timed. A forward right after the other runtime's shares the cores with
     * that runtime's threads still spinning for work, so only a forward that follows its own is timed.
     * Then libtorch is kept if its median time is below {@link #LIBTORCH_MARGIN} of ONNX Runtime's.
     *
     * <p>After {@code retrialAfter} forwards on the chosen runtime the rounds run again, and the choice is
     * made anew from the timed forwards of the last {@link #POOLED_TRIALS} trials together. A machine's
     * speed for one runtime can move for seconds at a time (ORT's batch-8 OctResNet-50 forward between
     * about 215 and 330 ms, libtorch's far less, docs/benchmarks.md): a single trial can land in a slow
     * stretch, and pooled trials follow what a long-running service sees instead of its first seconds.
     */
    static final class Trial {
        private final int retrialAfter;
        /** The timed forwards of the last {@link #POOLED_TRIALS} trials, oldest overwritten first. */
        private final long[] ortNanos = new long[POOLED_TRIALS * TRIAL_ROUNDS];
        private final long[] libtorchNanos = new long[POOLED_TRIALS * TRIAL_ROUNDS];
        private int ortTimed;
        private int libtorchTimed;
        /** While measuring: the next slot. Once chosen: forwards since the choice. */
        private int slots;
        /** Timed forwards recorded in the running trial. */
        private int recorded;
        private boolean measuring = true;
        /** Null before the first choice. */
        private Boolean ortFaster;

        Trial(int retrialAfter) {
            this.retrialAfter = retrialAfter;
        }

        /** The slot of the next forward; -1 once chosen (it runs on the chosen runtime). */
        synchronized int nextSlot() {
            if (!measuring) {
                if (++slots < retrialAfter) {
                    return -1;
                }
                measuring = true;
                recorded = 0;
                slots = 1; // the module is compiled: no untimed slot 0 again
            }
            return slots++;
        }

        /** Whether slot {@code slot} (-1: chosen) runs on ONNX Runtime. */
        synchronized boolean runsOrt(int slot) {
            if (slot < 0 || slot > 4 * TRIAL_ROUNDS) {
                return ortFaster == null || ortFaster; // chosen, or measured slots still out: ORT meanwhile
            }
            return slot > 0 && (slot - 1) % 4 < 2;
        }

        /** Whether trial slot {@code slot} (1 .. 4 × rounds) is the timed second forward of its runtime. */
        private static boolean timed(int slot) {
            return (slot - 1) % 2 == 1;
        }

        /**
         * Records slot {@code slot}'s time if it is a timed one of the running trial; true when this made the
         * first choice or changed it.
         */
        synchronized boolean record(int slot, long nanos) {
            if (!measuring || slot < 1 || slot > 4 * TRIAL_ROUNDS || !timed(slot)) {
                return false;
            }
            if (runsOrt(slot)) {
                ortNanos[ortTimed++ % ortNanos.length] = nanos;
            } else {
                libtorchNanos[libtorchTimed++ % libtorchNanos.length] = nanos;
            }
            if (++recorded < 2 * TRIAL_ROUNDS) {
                return false;
            }
            measuring = false;
            slots = 0;
            Boolean before = ortFaster;
            ortFaster = median(libtorchNanos, libtorchTimed) >= LIBTORCH_MARGIN * median(ortNanos, ortTimed);
            return !ortFaster.equals(before);
        }

        @Override
        public synchronized String toString() {
            return String.format(java.util.Locale.ROOT, "median %.2f ms on onnxruntime, %.2f ms on libtorch over %d timed forwards each",
                    median(ortNanos, ortTimed) / 1e6, median(libtorchNanos, libtorchTimed) / 1e6,
                    Math.min(ortTimed, ortNanos.length));
        }

        synchronized boolean choseLibtorch() {
            return Boolean.FALSE.equals(ortFaster);
        }

        /** The median of the first {@code min(count, length)} values (the ring holds that many). */
        private static long median(long[] ring, int count) {
            long[] sorted = java.util.Arrays.copyOf(ring, Math.min(count, ring.length));
            java.util.Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        }
    }

    /** An ORT session and the parameters it was written from; closed with the model's manager. */
    private static final class Session implements AutoCloseable {
        final OrtSession ort;
        final CompiledSources sources;
        final NDManager owner;
        final String resourceId = UUID.randomUUID().toString();
        int users;
        boolean retired;
        private boolean closed;

        /** @param size the [H, W] or [N, H, W] the session is pinned to, or {@link #ANY_SIZE} */
        Session(byte[] model, CompiledSources sources, List<Long> size) throws OrtException {
            try (OrtSession.SessionOptions options = OnnxRuntimeEnvironment.sharedPoolOptions()) {
                if (!size.isEmpty()) { // the batch of an [N, H, W] key is fixed in the graph itself
                    options.setSymbolicDimensionValue(OnnxGraph.HEIGHT, size.get(size.size() - 2));
                    options.setSymbolicDimensionValue(OnnxGraph.WIDTH, size.get(size.size() - 1));
                }
                this.ort = OnnxRuntimeEnvironment.get().createSession(model, options);
            }
            this.sources = sources;
            this.owner = sources.owner();
            if (owner != null) {
                owner.attachInternal(resourceId, this);
            }
        }

        boolean isCurrent() {
            return sources.isCurrent();
        }

        /** The output of {@code x}, an array of {@code x}'s manager. */
        NDArray run(NDArray x) throws OrtException {
            // A direct view of the array's memory where the engine has one: ORT reads it without a copy.
            FloatBuffer data = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            try (OnnxTensor input = OnnxTensor.createTensor(OnnxRuntimeEnvironment.get(), data, x.getShape().getShape());
                 OrtSession.Result result = ort.run(Map.of("input", input))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer values = out.getFloatBuffer();
                float[] copy = new float[values.remaining()];
                values.get(copy);
                return x.getManager().create(copy, new Shape(out.getInfo().getShape()));
            }
        }

        void closeIfRetiredAndUnused() {
            if (retired && users == 0) {
                close();
            }
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (owner != null && owner.isOpen()) {
                owner.detachInternal(resourceId);
            }
            try {
                ort.close();
            } catch (OrtException e) {
                LOG.debug("closing an ONNX Runtime session: {}", e.getMessage());
            }
        }
    }
}
