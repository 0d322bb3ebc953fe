package io.convzoo.serving.bench;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;

/** Placeholder (filled in below). */
public final class MicroBench {
    private MicroBench() {}

    public static Object run(NDManager manager, int rounds, PrintStream log) {
        return "todo";
    }
}
