package io.convzoo.blocks.script;

import java.util.List;

/**
 * A block that can write its eval-mode forward as TorchScript ({@link ScriptWriter}), so that a
 * prepared model can run as one compiled TorchScript module ({@link ScriptedForward}).
 *
 * <p>Contract: the script must compute what the block's prepared eval forward computes (the tests
 * compare them). An implementation may modify in place only the variables it made itself or that
 * {@link ScriptWriter#isFresh} reports; one that reads an input more than once (a residual identity)
 * first calls {@link ScriptWriter#share} on it, so that no block it hands the input to overwrites it.
 */
public interface Scriptable {

    /**
     * Writes this block's eval forward of {@code inputs} (variable names) into {@code w}; returns the
     * names of its outputs. Throws {@link UnsupportedOperationException} for a configuration that has
     * no script form (the model then keeps running block by block).
     */
    List<String> emitScript(ScriptWriter w, List<String> inputs);
}
