package io.convzoo.blocks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import java.util.List;

/**
 * What the interpreters need from the inference preparation's BatchNorm folding (blocks.infer
 * implements it and {@link #install}s itself): for a {@link Ops#convBn} pair, the folded weights that
 * replace the pair's convolutions. The interpreters run the conv's own forward with those weights in
 * place of its parameters, so a folded forward is the same dataflow as the plain one.
 */
public interface ConvBnFolding {

    /**
     * The folded form of {@code conv} (applied to {@code inputs} values) followed by {@code norms} for an
     * eval forward on {@code device}, made now if needed, or null when the pair is not folded; the caller
     * closes it once its convs ran.
     */
    Folded acquire(Block conv, List<? extends Block> norms, int inputs, Device device);

    /** The folded form the last eval forward on {@code device} used (for a script of it), or null. Not closed. */
    Folded current(List<? extends Block> norms, Device device);

    /** A training forward ran through the pair: its folded arrays are stale. */
    void invalidate(List<? extends Block> norms);

    /** Frees every folded array under {@code root}; folding stays enabled. */
    void dropFolded(Block root);

    /** Folded replacements of a pair's convolutions; closing it ends one forward's use of them. */
    interface Folded extends AutoCloseable {
        /** The replacement of {@code conv}, or null when it is not one of the pair's convs. */
        FoldedConv conv(Conv2d conv);

        /** The replacement of the mixture conv whose bank is {@code bank}, or null. */
        FoldedMixture mixture(Parameter bank);

        @Override
        void close();
    }

    /**
     * A conv's folded weight, bias (or null) and the groups to run it with (1 where it was spread into
     * a dense kernel).
     */
    record FoldedConv(NDArray weight, NDArray bias, int groups) { }

    /**
     * A mixture conv's bank scaled per output channel, as (K, out · in/g · k · k), its scaled bias bank
     * (K, out) or null, and the shift (out) added after mixing.
     */
    record FoldedMixture(NDArray scaledBank, NDArray scaledBiasBank, NDArray shift) { }

    /** The folded pairs whose conv is running, innermost first: the replacements an interpreter's convs use. */
    final class Active {
        private final java.util.Deque<Folded> pairs = new java.util.ArrayDeque<>();

        /** Runs {@code body} (the pair's conv) with {@code pair}'s replacements in force. */
        public <R> R with(Folded pair, java.util.function.Supplier<R> body) {
            pairs.push(pair);
            try {
                return body.get();
            } finally {
                pairs.pop();
            }
        }

        /** The folded replacement of {@code conv} in force, or null. */
        public FoldedConv conv(Conv2d conv) {
            for (Folded pair : pairs) {
                FoldedConv f = pair.conv(conv);
                if (f != null) {
                    return f;
                }
            }
            return null;
        }

        /** The folded replacement of the mixture conv of {@code bank} in force, or null. */
        public FoldedMixture mixture(Parameter bank) {
            for (Folded pair : pairs) {
                FoldedMixture f = pair.mixture(bank);
                if (f != null) {
                    return f;
                }
            }
            return null;
        }
    }

    /** Installs the folding the interpreters consult (the inference preparation does, once). */
    static void install(ConvBnFolding folding) {
        Installed.folding = folding;
    }

    /** The installed folding, or null. */
    static ConvBnFolding installed() {
        return Installed.folding;
    }

    /** Holder of the installed folding. */
    final class Installed {
        private static volatile ConvBnFolding folding;

        private Installed() {}
    }
}
