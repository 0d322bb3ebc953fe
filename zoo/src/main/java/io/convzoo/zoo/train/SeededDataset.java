package io.convzoo.zoo.train;

import ai.djl.training.dataset.RandomAccessDataset;

/**
 * A dataset whose shuffling and augmentation depend only on (seed, epoch, sample)
 * ({@link EpochAware}): its builder's seed and {@link SeededBatchSampler} batches, and the epoch
 * passed on to the sampler.
 */
public abstract class SeededDataset extends RandomAccessDataset implements EpochAware {

    /** Seed of augmentation, shuffling and subsets. */
    protected final long seed;
    /** The 0-based epoch being drawn. */
    protected volatile int epoch;

    protected SeededDataset(Builder<?> b) {
        super(b);
        this.seed = b.seed;
    }

    @Override
    public void setEpoch(int epoch) {
        this.epoch = epoch;
        if (sampler instanceof EpochAware aware) {
            aware.setEpoch(epoch);
        }
    }

    /** The seed and batching of a {@link SeededDataset}. */
    public abstract static class Builder<T extends Builder<T>> extends BaseBuilder<T> {
        private long seed = 42;
        private int batchSize;
        private boolean shuffle;

        /** Seed of augmentation, shuffling and subsets (default 42). */
        public T optSeed(long seed) {
            this.seed = seed;
            return self();
        }

        /** Batches of {@code batchSize}, shuffled per epoch from the seed (see {@link SeededBatchSampler}). */
        public T setBatch(int batchSize, boolean shuffle) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            this.shuffle = shuffle;
            return self();
        }

        /** The seed set so far. */
        protected long seed() {
            return seed;
        }

        /**
         * Sets the sampler from {@link #setBatch}; without it and without DJL's setSampling, one
         * record at a time in order.
         */
        protected void applySampling() {
            if (batchSize > 0 || sampler == null) {
                setSampling(new SeededBatchSampler(batchSize > 0 ? batchSize : 1, shuffle, false, seed));
            }
        }
    }
}
