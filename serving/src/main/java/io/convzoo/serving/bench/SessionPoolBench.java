package io.convzoo.serving.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.convzoo.blocks.onnx.OnnxGraph;
import io.convzoo.zoo.checkpoint.CheckpointExporter;
import io.convzoo.zoo.infer.OnnxRuntimeEnvironment;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Runtime sessions run in turn, as a service meets them: a model's sessions for two input sizes,
 * or two models. Two sessions of res2net50_26w_4s's ONNX form (batch 1, 224×224, random weights) alternate
 * one forward each, once with pools of their own (ORT's default) and once on the one pool ConvZoo's sessions
 * share ({@link OnnxRuntimeEnvironment}); the reference is one session on the shared pool running back to
 * back, and one with a pool of its own shows that sharing costs a lone session nothing. The four
 * arrangements alternate round by round, each starting with an untimed forward.
 */
final class SessionPoolBench {

    static final String MODEL = "res2net50_26w_4s";
    static final int SIDE = 224;
    /** Timed forwards per arrangement and round. */
    private static final int FORWARDS = 4;

    private SessionPoolBench() {}

    static List<MicroBench.Entry> run(NDManager manager, int rounds, PrintStream log) {
        return run(manager, MODEL, SIDE, rounds, log);
    }

    /** The same with model {@code id} at {@code side} × {@code side}; every session's logits must be the first one's. */
    static List<MicroBench.Entry> run(NDManager manager, String id, int side, int rounds, PrintStream log) {
        Path file = null;
        List<OrtSession> sessions = new ArrayList<>();
        try (NDManager m = manager.newSubManager()) {
            file = Files.createTempFile("convzoo-pools-", ".onnx");
            Block block = BenchModel.buildBlock(id);
            Shape shape = new Shape(1, BenchModel.inputChannels(id), side, side);
            block.initialize(m, DataType.FLOAT32, shape);
            BenchModel.randomizeBatchNormStatistics(block, m);
            CheckpointExporter.export(block, CheckpointExporter.Format.ONNX, file, shape);
            float[] x = m.randomNormal(0f, 1f, shape, DataType.FLOAT32).toFloatArray();
            OrtSession[] own = {open(file, false, side, sessions), open(file, false, side, sessions)};
            OrtSession[] shared = {open(file, true, side, sessions), open(file, true, side, sessions)};
            float[] expected = logits(own[0], x, shape);
            for (OrtSession s : sessions) {
                if (!java.util.Arrays.equals(expected, logits(s, x, shape))) {
                    throw new IllegalStateException("sessions of one file on different pools gave different logits");
                }
            }
            OrtSession[][] arrangements = {own, shared, {shared[0]}, {own[0]}};
            List<List<Double>> times = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int r = -2; r < rounds; r++) {
                for (int i = 0; i < arrangements.length; i++) {
                    int a = r % 2 == 0 ? i : arrangements.length - 1 - i;
                    OrtSession[] turn = arrangements[a];
                    forward(turn[turn.length - 1], x, shape); // untimed: the timed ones follow this arrangement
                    for (int k = 0; k < FORWARDS; k++) {
                        double ms = forward(turn[k % turn.length], x, shape);
                        if (r >= 0) {
                            times.get(a).add(ms);
                        }
                    }
                }
                log.printf("sessions round %d/%d%n", r + 1, rounds);
            }
            long macs = BenchModel.macsPerImage(id);
            double[] medians = times.stream().mapToDouble(t -> InferenceBench.median(
                    t.stream().mapToDouble(Double::doubleValue).toArray())).toArray();
            String alone = "time / one session's back to back";
            return List.of(
                    new MicroBench.Entry("sessions", "2 in turn, pools of their own", macs, medians[0], medians[0] / medians[2], alone),
                    new MicroBench.Entry("sessions", "2 in turn, one shared pool", macs, medians[1], medians[1] / medians[2], alone),
                    new MicroBench.Entry("sessions", "1 session, back to back", macs, medians[2], null, null),
                    new MicroBench.Entry("sessions", "1 session, back to back, own pool", macs, medians[3],
                            medians[3] / medians[2], alone));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            for (OrtSession s : sessions) {
                try {
                    s.close();
                } catch (OrtException ignored) {
                    // closing at the end of the bench
                }
            }
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    /** A session pinned to the input size, as the runtime makes them; on the shared pool or one of its own. */
    private static OrtSession open(Path file, boolean sharedPool, int side, List<OrtSession> opened) throws OrtException {
        try (OrtSession.SessionOptions options = sharedPool ? OnnxRuntimeEnvironment.sharedPoolOptions()
                : OnnxRuntimeEnvironment.ownPoolOptions(OnnxRuntimeEnvironment.intraOpThreads())) {
            options.setSymbolicDimensionValue(OnnxGraph.HEIGHT, side);
            options.setSymbolicDimensionValue(OnnxGraph.WIDTH, side);
            OrtSession s = OnnxRuntimeEnvironment.get().createSession(file.toString(), options);
            opened.add(s);
            return s;
        }
    }

    /** Milliseconds of one forward, its logits read. */
    private static double forward(OrtSession session, float[] x, Shape shape) throws OrtException {
        long t0 = System.nanoTime();
        logits(session, x, shape);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static float[] logits(OrtSession session, float[] x, Shape shape) throws OrtException {
        return BenchModel.OfficialOnnx.logits(session, FloatBuffer.wrap(x), shape.getShape());
    }
}
