package io.convzoo.zoo.train;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Batches of indices, shuffled by a permutation that depends only on (seed, epoch): unlike DJL's
 * RandomSampler (global random state) the order of epoch {@code e} is the same after a resume.
 */
public final class SeededBatchSampler implements Sampler, EpochAware {

    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private volatile int epoch;

    /**
     * @param batchSize indices per batch
     * @param shuffle shuffle each epoch (else sequential order)
     * @param dropLast drop a last, incomplete batch (keeps BatchNorm away from batches of one)
     * @param seed base seed of the permutations
     */
    public SeededBatchSampler(int batchSize, boolean shuffle, boolean dropLast, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
    }

    @Override
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    @Override
    public int getBatchSize() {
        return batchSize;
    }

    /** The index order of one epoch over {@code size} items. */
    public long[] order(long size, int forEpoch) {
        long[] idx = new long[Math.toIntExact(size)];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        if (shuffle) {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + forEpoch);
            for (int i = idx.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                long t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    @Override
    public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
        long[] idx = order(dataset.size(), epoch);
        int batches = dropLast && idx.length >= batchSize ? idx.length / batchSize
                : (idx.length + batchSize - 1) / batchSize;
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < batches;
            }

            @Override
            public List<Long> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int from = next++ * batchSize;
                int to = Math.min(from + batchSize, idx.length);
                List<Long> batch = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    batch.add(idx[i]);
                }
                return batch;
            }
        };
    }
}
