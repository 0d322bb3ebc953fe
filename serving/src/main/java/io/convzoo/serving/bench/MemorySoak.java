package io.convzoo.serving.bench;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;

/** Placeholder (filled in below). */
public final class MemorySoak {
    private MemorySoak() {}

    public static Object run(NDManager manager, String id, int forwards, PrintStream log) {
        return "todo";
    }
}
