package io.convzoo.zoo.infer;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's ONNX Runtime environment, made with one intra-op thread pool that all of ConvZoo's
 * sessions share. With a pool per session (ORT's default), a session that runs right after another
 * one took ~1.6× as long on 2 cores: the other pool's workers were still spinning for work on the same
 * cores (docs/benchmarks.md, "One thread pool for every session"). A model has a session per pinned
 * input size, and a service may hold several models. ORT allows one environment per process: if
 * another library made it first, sessions fall back to pools of their own. Its libraries load from
 * DJL's engine cache ({@link OnnxRuntimeNatives}).
 */
public final class OnnxRuntimeEnvironment {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEnvironment.class);

    /** Set once; volatile so that every forward's read of it takes no lock. */
    private static volatile OrtEnvironment environment;
    private static boolean sharedPool;

    static { // before any ORT class loads its libraries: every path to ORT in ConvZoo comes through here
        OnnxRuntimeNatives.useCachedCopy();
    }

    private OnnxRuntimeEnvironment() {}

    /** The environment, made on first use with the shared pool of {@link #intraOpThreads()} threads where possible. */
    public static OrtEnvironment get() {
        OrtEnvironment made = environment;
        return made != null ? made : make();
    }

    private static synchronized OrtEnvironment make() {
        if (environment == null) {
            try (OrtEnvironment.ThreadingOptions threads = new OrtEnvironment.ThreadingOptions()) {
                threads.setGlobalIntraOpNumThreads(intraOpThreads());
                threads.setGlobalInterOpNumThreads(1);
                environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "convzoo", threads);
                sharedPool = true;
            } catch (OrtException | IllegalStateException e) {
                // Made elsewhere already (ORT refuses thread options then): its sessions keep their own pools.
                environment = OrtEnvironment.getEnvironment();
                sharedPool = false;
                LOG.info("ONNX Runtime's environment was made before ConvZoo's; each session gets its own thread pool ({})",
                        e.getMessage());
            }
        }
        return environment;
    }

    /** Whether ConvZoo's sessions in this process share one intra-op thread pool. */
    public static synchronized boolean hasSharedPool() {
        get();
        return sharedPool;
    }

    /**
     * Options for one of ConvZoo's sessions: every graph optimization, one inter-op thread, and the
     * shared intra-op pool, or where the environment has none a pool of its own of {@link #intraOpThreads()}.
     */
    public static OrtSession.SessionOptions sharedPoolOptions() throws OrtException {
        if (!hasSharedPool()) {
            return ownPoolOptions(intraOpThreads());
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.disablePerSessionThreads();
            return options;
        } catch (OrtException e) {
            options.close();
            throw e;
        }
    }

    /**
     * Options as ORT's default arrangement makes them, with every graph optimization: one inter-op
     * thread and an intra-op pool of the session's own of {@code threads}. The bench runs the official
     * exports so, as their users would.
     */
    public static OrtSession.SessionOptions ownPoolOptions(int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            return options;
        } catch (OrtException e) {
            options.close();
            throw e;
        }
    }

    /** ORT's intra-op threads: libtorch's setting (EngineThreads, -Dai.djl.pytorch.num_threads), else one per core. */
    public static int intraOpThreads() {
        String chosen = System.getProperty(EngineThreads.INTRA_OP_PROPERTY, System.getenv("OMP_NUM_THREADS"));
        try {
            return chosen == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, Integer.parseInt(chosen.trim()));
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }
}
