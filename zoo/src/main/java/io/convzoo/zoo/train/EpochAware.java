package io.convzoo.zoo.train;

/**
 * Something whose randomness depends on the epoch (shuffling, augmentation). The trainer tells it
 * the epoch before iterating, so that epoch {@code e} draws the same samples whether the run was
 * interrupted and resumed or not.
 */
public interface EpochAware {

    /** Sets the 0-based epoch about to run. */
    void setEpoch(int epoch);

    /**
     * The seed of sample {@code index}'s random draws in {@code epoch} (a SplitMix64 finalizer over
     * the three), so that they depend on nothing else.
     */
    static long sampleSeed(long seed, int epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
