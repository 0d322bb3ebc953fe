package io.convzoo.zoo.train;

/**
 * Something whose randomness depends on the epoch (shuffling, augmentation). The trainer tells it
 * the epoch before iterating, so that epoch {@code e} draws the same samples whether the run was
 * interrupted and resumed or not.
 */
public interface EpochAware {

    /** Sets the 0-based epoch about to run. */
    void setEpoch(int epoch);
}
