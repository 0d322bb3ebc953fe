package io.convzoo.blocks.hetconv;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.convzoo.blocks.Layers;
import io.convzoo.blocks.TestSupport;
import io.convzoo.blocks.hetconv.HetConv.Strategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Manual benchmark, not a test (no timed assertions anywhere): median time of an inference forward
 * and of a forward+backward for HetConv's two strategies and a dense 3×3 conv, 64→64 on 32×32.
 * Candidates are interleaved round by round so that background load hits them alike. Run with the
 * test classpath: {@code java -cp ... io.convzoo.blocks.hetconv.HetConvBenchmark [batch] [rounds] [naive]}.
 */
public final class HetConvBenchmark {

    private HetConvBenchmark() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        boolean naive = args.length > 2 && Boolean.parseBoolean(args[2]);
        int channels = 64;
        Shape shape = new Shape(batch, channels, 32, 32);
        Map<String, Block> candidates = new LinkedHashMap<>();
        candidates.put("dense 3x3 Conv2d (9*64 MACs/output)", Layers.conv3x3(channels, 1, 1));
        for (int part : new int[] {2, 4, 8}) {
            for (Strategy s : Strategy.values()) {
                candidates.put("HetConv p=" + part + " " + s, new HetConv(channels, channels, part, 1, false, s));
            }
        }
        if (naive) {
            candidates.put("NaiveHetConv p=4 (4096 convs)", new NaiveHetConv(channels, channels, 4, 1, false));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = TestSupport.random(m, shape, 1);
            for (Block b : candidates.values()) {
                b.initialize(m, DataType.FLOAT32, shape);
                for (Pair<String, Parameter> p : b.getParameters()) {
                    p.getValue().getArray().setRequiresGradient(true);
                }
            }
            for (boolean training : new boolean[] {false, true}) {
                Map<String, List<Double>> times = new LinkedHashMap<>();
                candidates.keySet().forEach(k -> times.put(k, new ArrayList<>()));
                for (int r = -5; r < rounds; r++) {
                    for (Map.Entry<String, Block> c : candidates.entrySet()) {
                        double ms = time(c.getValue(), m, x, training);
                        if (r >= 0) {
                            times.get(c.getKey()).add(ms);
                        }
                    }
                }
                System.out.println((training ? "forward+backward" : "inference forward") + ", batch " + batch
                        + ", " + rounds + " rounds");
                times.forEach((k, v) -> {
                    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
                    Arrays.sort(a);
                    System.out.printf("  %-42s median %8.3f ms  min %8.3f ms%n", k, a[a.length / 2], a[0]);
                });
            }
        }
    }

    private static double time(Block block, NDManager m, NDArray x, boolean training) {
        try (NDManager scope = m.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            long t0 = System.nanoTime();
            if (training) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = block.forward(ps, new NDList(x), true).head();
                    gc.backward(y.sum());
                }
                block.getParameters().valueAt(0).getArray().getGradient().toFloatArray();
            } else {
                block.forward(ps, new NDList(x), false).head().toFloatArray();
            }
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
