package io.convzoo.blocks;

/**
 * A block with an inference preparation of its own, switched with the model's (zoo
 * {@code Inference.prepare} / {@code unprepare}), e.g. a kernel made once for eval forwards instead of
 * on every forward. Enabling it again drops what was made, so that in-place parameter writes are seen.
 */
public interface InferencePreparable {

    /** Turns the preparation on or off; either way, anything already prepared is dropped. */
    void prepareInference(boolean enabled);
}
