package io.convzoo.serving.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import io.convzoo.serving.bench.InferenceBench;
import io.convzoo.serving.bench.MemorySoak;
import io.convzoo.serving.bench.MicroBench;
import io.convzoo.serving.bench.TrainBench;
import io.convzoo.zoo.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code convzoo bench}: eval-mode inference speed of zoo models against TorchScript traces of the
 * official code, in one process with alternating rounds; micro-benchmarks; a native-memory soak.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = "Inference speed: images/s, GFLOP/s, ratio to TorchScript traces and to ResNet-50.")
final class BenchCommand implements Callable<Integer> {

    /** Models benchmarked by default: the reference and each family's 50-layer ImageNet model, when registered. */
    static final List<String> DEFAULT_MODELS =
            List.of("resnet50", "pyconvresnet50", "res2net50_26w_4s", "oct_resnet50", "dy_resnet50");

    @Option(names = "--models", split = ",", paramLabel = "ID[,ID...]",
            description = "Model ids (default: resnet50, pyconvresnet50, res2net50_26w_4s, oct_resnet50, dy_resnet50). "
                    + "resnet50 is the torchvision-layout reference built in Java.")
    List<String> models;

    @Option(names = "--batch", split = ",", paramLabel = "N[,N...]", defaultValue = "1,8",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--rounds", defaultValue = "10", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--torchscript-dir", paramLabel = "DIR",
            description = "Directory of TorchScript traces <id>.pt (tools/make_torchscript_traces.py).")
    Path torchscriptDir;

    @Option(names = "--blocks", description = "Also time our models prepared but run block by block "
            + "(row ours-blocks), not as the TorchScript module written from their blocks.")
    boolean blocks;

    @Option(names = "--ort", description = "Also time our models' ONNX form on ONNX Runtime (row ours-ort); "
            + "official ONNX exports <id>.onnx in --torchscript-dir (tools/make_torchscript_traces.py --onnx) are "
            + "timed whenever present (row onnxruntime).")
    boolean ort;

    @Option(names = "--auto", description = "Also time our models on runtime=auto (row ours-auto): per input shape, "
            + "the runtime it measured faster on its first forwards (run before the timed rounds).")
    boolean auto;

    @Option(names = "--plain", description = "Also time our models without the inference preparation (row ours-plain).")
    boolean plain;

    @Option(names = "--threads", defaultValue = "2",
            description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}); inter-op threads are 1.")
    int threads;

    @Option(names = "--cpu-clock", description = "Time with this thread's CPU time instead of the wall clock; "
            + "only meaningful with --threads 1 (development on a busy machine).")
    boolean cpuClock;

    @Option(names = "--size", paramLabel = "PIXELS",
            description = "Square input side instead of each model's own (e.g. a small one to expose per-op overhead). "
                    + "GFLOP/s are then wrong: MACs are counted at the model's own size.")
    Integer size;

    @Option(names = "--micro", description = "Run the HetConv, dynamic-conv, grouped-conv (PyConv levels) and ONNX Runtime session-pool "
            + "micro-benchmarks instead.")
    boolean micro;

    @Option(names = "--soak", paramLabel = "FORWARDS",
            description = "Native-memory soak instead: this many batch-1 forwards of --models' first id "
                    + "(default res2net50_26w_4s), RSS sampled; with --train, this many training steps of it at the "
                    + "first --train-batch and --size (default: the model's own input size), on random batches.")
    Integer soak;

    @Option(names = "--train", description = "Time one training step (forward, backward, SGD) of our models against "
            + "training-mode traces of the official code in --torchscript-dir (<id>.train.b<N>.pt, made by "
            + "tools/make_torchscript_traces.py --train), at --train-batch and --size (default 64).")
    boolean train;

    @Option(names = "--train-batch", split = ",", paramLabel = "N[,N...]", defaultValue = "16,32",
            description = "Batch sizes of --train (default: ${DEFAULT-VALUE}).")
    List<Integer> trainBatches;

    @Option(names = "--profile", paramLabel = "DIR",
            description = "With --train: after the timed steps, " + TrainBench.PROFILED_FORWARDS
                    + " forwards of each side under libtorch's op profiler; "
                    + "writes DIR/<id>.b<N>.{ours,torchscript}.forward.<k>.json (Chrome traces) and prints the median "
                    + "self time per op.")
    Path profileDir;

    @Option(names = "--json", description = "Print JSON results.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || warmup < 0 || threads < 1) {
            throw new IllegalArgumentException("--rounds and --threads must be >= 1 and --warmup >= 0");
        }
        if (profileDir != null && (!train || soak != null)) {
            throw new IllegalArgumentException("--profile goes with --train and not with --soak (it profiles the "
                    + "timed training forwards)");
        }
        if (torchscriptDir != null && !Files.isDirectory(torchscriptDir)) {
            throw new IllegalArgumentException("--torchscript-dir " + torchscriptDir + " is not a directory");
        }
        // Must be set before the engine loads.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Object result;
        try (NDManager manager = NDManager.newBaseManager()) {
            if (micro) {
                result = MicroBench.run(manager, Math.max(rounds, 3), System.err);
                printMicro(result);
            } else if (soak != null) {
                String id = models == null || models.isEmpty() ? "res2net50_26w_4s" : models.get(0);
                result = train
                        ? MemorySoak.runTraining(id, soak, trainBatches.get(0),
                                size != null ? size : ModelRegistry.get(id).inputSize(), System.err)
                        : MemorySoak.run(manager, id, soak, System.err);
                System.out.println(json ? new GsonBuilder().setPrettyPrinting().create().toJson(result) : result);
                return 0;
            } else if (train) {
                if (torchscriptDir == null) {
                    throw new IllegalArgumentException("--train needs --torchscript-dir with the training traces "
                            + "(tools/make_torchscript_traces.py --train)");
                }
                List<TrainBench.Row> rows = TrainBench.run(selectedModels(), trainBatches, size != null ? size : 64,
                        rounds, warmup, torchscriptDir, profileDir, System.err);
                result = rows;
                if (!json) {
                    System.out.printf("%-20s %5s %5s %12s %16s %8s %13s%n", "model", "batch", "size", "ours ms/step",
                            "TorchScript ms", "ratio", "(quartiles)");
                    for (TrainBench.Row r : rows) {
                        System.out.printf("%-20s %5d %5d %12.1f %16.1f %8.3f %13s%n", r.model(), r.batch(), r.size(),
                                r.oursSeconds() * 1e3, r.torchscriptSeconds() * 1e3, r.ratio(),
                                String.format("%.3f-%.3f", r.ratioQ1(), r.ratioQ3()));
                    }
                    System.out.println("ratio: median over steps of (our step time / the official TorchScript module's), "
                            + "lower is better.");
                    return 0;
                }
            } else {
                List<String> ids = selectedModels();
                InferenceBench bench = new InferenceBench(new InferenceBench.Options(ids, batches, rounds, warmup,
                        torchscriptDir, blocks, plain, ort, auto, cpuClock, size, threads));
                List<InferenceBench.Row> rows = bench.run(manager, System.err);
                result = rows;
                if (!json) {
                    printTable(rows);
                    return 0;
                }
            }
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("threads", threads);
            out.put("results", result);
            System.out.println(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                    .create().toJson(out));
        }
        return 0;
    }

    private List<String> selectedModels() {
        if (models == null || models.isEmpty()) {
            List<String> ids = new ArrayList<>();
            for (String id : DEFAULT_MODELS) {
                if (InferenceBench.isKnownModel(id)) {
                    ids.add(id);
                }
            }
            return ids;
        }
        for (String id : models) {
            if (!InferenceBench.isKnownModel(id)) {
                io.convzoo.zoo.ModelRegistry.get(id); // throws with the closest ids
            }
        }
        return models;
    }

    @SuppressWarnings("unchecked")
    private void printMicro(Object result) {
        if (!json) {
            System.out.print(MicroBench.format((List<MicroBench.Entry>) result));
        }
    }

    private static void printTable(List<InferenceBench.Row> rows) {
        System.out.printf("%-20s %-12s %5s %10s %10s %9s %10s %13s %8s %13s %10s%n", "model", "impl", "batch", "ms/batch",
                "images/s", "GFLOP/s", "vs trace", "(quartiles)", "vs ort", "(quartiles)", "vs rn50");
        for (InferenceBench.Row r : rows) {
            System.out.printf("%-20s %-12s %5d %10.1f %10.2f %9.1f %10s %13s %8s %13s %10s%n", r.model(), r.impl(), r.batch(),
                    r.medianSeconds() * 1e3, r.imagesPerSecond(), r.gflops(),
                    r.ratioVsTorchscript() == null ? "-" : String.format("%.3f", r.ratioVsTorchscript()),
                    r.ratioQ1() == null ? "" : String.format("%.3f-%.3f", r.ratioQ1(), r.ratioQ3()),
                    r.ratioVsOnnxRuntime() == null ? "-" : String.format("%.3f", r.ratioVsOnnxRuntime()),
                    r.ratioVsOnnxRuntimeQ1() == null ? "" : String.format("%.3f-%.3f", r.ratioVsOnnxRuntimeQ1(),
                            r.ratioVsOnnxRuntimeQ3()),
                    r.gflopsVsResnet50() == null ? "-" : String.format("%.2f", r.gflopsVsResnet50()));
        }
        System.out.println("vs trace / vs ort: median over rounds of (this row's time / the official code's TorchScript "
                + "trace's / its ONNX export on ONNX Runtime's), lower is better, with the quartiles of the per-round "
                + "ratios; vs rn50: achieved GFLOP/s relative to our ResNet-50 at the same batch.");
    }
}
