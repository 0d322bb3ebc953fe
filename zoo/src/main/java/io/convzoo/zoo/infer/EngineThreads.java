package io.convzoo.zoo.infer;

/**
 * libtorch's intra-op thread count for this JVM. DJL's PyTorch engine reads
 * {@code ai.djl.pytorch.num_threads} once, when it starts (the first model load), so this must run
 * before that; a choice the user made ({@code -Dai.djl.pytorch.num_threads} or
 * {@code OMP_NUM_THREADS}) is left alone.
 */
public final class EngineThreads {

    /** DJL's system property for libtorch's intra-op threads. */
    public static final String INTRA_OP_PROPERTY = "ai.djl.pytorch.num_threads";

    private EngineThreads() {}

    /**
     * Sets the intra-op threads to {@code threads} (at least 1) unless the user chose them.
     *
     * @return true if this call set them
     */
    public static synchronized boolean setIntraOpThreadsUnlessChosen(int threads) {
        if (System.getProperty(INTRA_OP_PROPERTY) != null || System.getenv("OMP_NUM_THREADS") != null) {
            return false;
        }
        System.setProperty(INTRA_OP_PROPERTY, Integer.toString(Math.max(1, threads)));
        return true;
    }
}
