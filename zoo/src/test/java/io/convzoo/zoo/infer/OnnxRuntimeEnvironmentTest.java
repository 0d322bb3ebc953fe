package io.convzoo.zoo.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtSession;
import io.convzoo.blocks.DataflowBlock;
import io.convzoo.blocks.TestSupport;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvZoo's ONNX Runtime sessions share one intra-op thread pool: making more of them starts no
 * threads, where sessions with pools of their own start theirs. Threads are counted in /proc (Linux):
 * a native thread is named after the thread that started it, so the ones counted are those named as
 * this test's thread, which the JVM's own threads are not.
 */
class OnnxRuntimeEnvironmentTest {

    @Test
    void sessionsOfEveryInputSizeShareOneThreadPool(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's /proc");
        Assumptions.assumeTrue(OnnxRuntimeEnvironment.intraOpThreads() > 1, "a pool of one thread starts none");
        assertTrue(OnnxRuntimeEnvironment.hasSharedPool(), "the environment was made by ConvZoo");
        ModelSpec spec = ModelRegistry.get("res2net_small");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = spec.build(ScriptedModelsTest.testArgs(spec));
            TestSupport.init(net, manager, new Shape(1, 1, 28, 28));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray first = TestSupport.random(manager, new Shape(2, 1, 28, 28), 1);
            List<NDArray> later = List.of(TestSupport.random(manager, new Shape(2, 1, 36, 36), 2),
                    TestSupport.random(manager, new Shape(2, 1, 44, 44), 3), TestSupport.random(manager,
                            new Shape(2, 1, 52, 52), 4));
            Inference.prepare(net, true, Inference.Runtime.ONNXRUNTIME);
            OnnxRuntimeForward ort = (OnnxRuntimeForward) ((DataflowBlock) net).getCompiledForward();
            for (int i = 0; i < 2; i++) { // a session for the first size, and libtorch's threads, before counting
                Inference.forward(net, ps, first);
                Inference.forward(net, ps, TestSupport.random(manager, new Shape(2, 1, 20, 20), 5)).close();
            }
            ort.invalidate(); // new sessions from here on, 20×20 not among them
            Inference.forward(net, ps, first);
            Inference.forward(net, ps, first);
            assertEquals(1, ort.sessionSizes().size(), ort.sessionSizes().toString());

            long before = threadsNamedAsThisOne();
            for (NDArray x : later) {
                Inference.forward(net, ps, x); // block by block, then a session of its own: pinned, pinned, any size
                Inference.forward(net, ps, x);
            }
            assertEquals(3, ort.sessionSizes().size(), ort.sessionSizes().toString());
            assertEquals("onnxruntime", ort.runtime());
            assertEquals(before, threadsNamedAsThisOne(), "threads started by 2 more sessions (a pinned size, any size) on the shared pool");

            // The count sees pools: two sessions with pools of 3 threads of their own start 2 workers each.
            Path file = tmp.resolve("res2net_small.onnx");
            OnnxRuntimeForward.export((DataflowBlock) net, first, file);
            long beforeOwn = threadsNamedAsThisOne();
            List<OrtSession> own = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    try (OrtSession.SessionOptions options = OnnxRuntimeEnvironment.ownPoolOptions(3)) {
                        own.add(OnnxRuntimeEnvironment.get().createSession(file.toString(), options));
                    }
                }
                assertEquals(beforeOwn + 4, threadsNamedAsThisOne(), "threads started by 2 sessions with pools of 3");
            } finally {
                for (OrtSession s : own) {
                    s.close();
                }
            }
        }
    }

    /** Threads of this process whose native name is this thread's (the ones it and native code it ran started). */
    private static long threadsNamedAsThisOne() throws Exception {
        String mine = Files.readString(Path.of("/proc/thread-self/comm")).trim();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.filter(t -> {
                try {
                    return Files.readString(t.resolve("comm")).trim().equals(mine);
                } catch (java.io.IOException e) {
                    return false; // the thread ended meanwhile
                }
            }).count();
        }
    }
}
