package io.convzoo.serving.cli;

import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.grpc.ConvZooGrpcServer;
import io.convzoo.serving.grpc.GrpcLoadBench;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.convzoo.serving.http.HttpServerOptions;
import io.convzoo.serving.http.LoadBench;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.infer.EngineThreads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code convzoo serve [--model id ...] [--port 8080] [--workers N] [--batch-size B] [--max-batch-delay-ms D]}:
 * serves zoo models over HTTP until interrupted (Ctrl-C shuts down gracefully).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        subcommands = ServeCommand.Bench.class, usageHelpAutoWidth = true,
        description = {"Serve models over HTTP: POST /predictions/{model}, POST /v2/models/{model}/infer, GET /ping, "
                + "GET /models, GET /metrics, and a demo page at GET /.",
                "With no --model it serves the bundled Fashion-MNIST models, whose trained weights ship in the jar.",
                "Listens on 127.0.0.1 unless --host says otherwise; --inference-token/--management-token (or "
                + "--token-file) require bearer tokens; --enable-management adds the management API on "
                + "--management-port."})
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    /** Served when no --model is given: the 28×28 Fashion-MNIST variants. */
    public static final List<String> DEFAULT_MODELS =
            List.of("pyconvresnet_small", "res2net_small", "oct_resnet_small", "dy_resnet_small",
                    "hetconv_resnet_small");

    @Option(names = "--model", paramLabel = "ID|DIR", description = "Model id, or a model directory written by 'convzoo "
            + "import' or 'convzoo finetune' (served under its folder name); repeatable. Default: the bundled "
            + "Fashion-MNIST models.")
    List<String> models = new ArrayList<>();

    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 8080;

    @Option(names = "--workers", description = "Workers (predictors) per model (default: one per core, as "
            + "TorchServe does; the cores are split between all workers' libtorch threads).")
    Integer workers;

    @Option(names = "--batch-size", description = "Largest batch (default ${DEFAULT-VALUE}).")
    int batchSize = 8;

    @Option(names = "--max-batch-delay-ms", description = "Longest wait for a batch to fill (default ${DEFAULT-VALUE}).")
    long maxBatchDelayMs = 5;

    @Option(names = "--queue-size", description = "Requests that may wait per model; more get 503 (default ${DEFAULT-VALUE}).")
    int queueSize = 256;

    @Option(names = "--timeout-ms", description = "Per-request timeout (default ${DEFAULT-VALUE}).")
    long timeoutMs = 30_000;

    @Option(names = "--max-body-bytes", description = "Largest request body; larger get 413 (default ${DEFAULT-VALUE}).")
    long maxBodyBytes = ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--grpc-port", paramLabel = "PORT", description = "Also serve the Open Inference Protocol (KServe v2) "
            + "over gRPC on this port, sharing the models and their queues with HTTP (default: off; 0 picks a free one).")
    Integer grpcPort;

    /** The gRPC server {@link #start()} started (with --grpc-port), else null. */
    ConvZooGrpcServer grpcServer;

    @Option(names = "--untrained", description = "Serve ImageNet models without installed weights (random, for testing).")
    boolean untrained;

    @Option(names = "--enable-management", description = "Serve the management API (register, scale, unregister "
            + "and describe models at run time; nothing is persisted) on --management-port. Off by default.")
    boolean enableManagement;

    @Option(names = "--management-port", description = "Port of the management API (default ${DEFAULT-VALUE}; 0 "
            + "picks a free one).")
    int managementPort = 8081;

    @Option(names = "--inference-token", paramLabel = "TOKEN", description = "Require 'Authorization: Bearer TOKEN' "
            + "on the inference API (predictions, KServe v2, models, metrics); /ping and the page stay open.")
    String inferenceToken;

    @Option(names = "--management-token", paramLabel = "TOKEN", description = "Require 'Authorization: Bearer "
            + "TOKEN' on the management API.")
    String managementToken;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the tokens from a properties file "
            + "(lines inference=... and management=...), keeping them out of the process list.")
    java.nio.file.Path tokenFile;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Let browser pages from ORIGIN call the "
            + "API (CORS; repeatable, '*' for any). Off by default.")
    List<String> corsOrigins = new ArrayList<>();

    ServingConfig config() {
        // One worker per core, one libtorch thread each (threadsPerWorker): on 2 cores at 16 clients, two
        // workers served 693–714 req/s against 388–563 for one (docs/benchmarks.md). The embedded API keeps
        // ServingConfig.defaults(), since there the engine's threads are the caller's.
        return new ServingConfig(workers != null ? workers : defaultWorkers(), batchSize, maxBatchDelayMs, queueSize,
                timeoutMs);
    }

    /** Workers per model when none are asked for: one per core. */
    static int defaultWorkers() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Intra-op threads per worker: the cores split between every worker of every served model (each
     * model has its own workers), at least 1. Giving each of 4 models' workers all the cores made
     * OpenMP teams fight over them.
     */
    static int threadsPerWorker(int cores, int workersPerModel, int models) {
        return Math.max(1, cores / Math.max(1, workersPerModel * models));
    }

    /** Loads the models and starts the server (used by {@link #call()} and tests). */
    public ConvZooHttpServer start() throws IOException {
        List<String> ids = models.isEmpty() ? defaultModels() : models;
        ServingConfig config = config();
        // As TorchServe does: split the cores between the workers' intra-op thread pools, unless
        // the user chose (read once, when the engine starts with the first model load).
        EngineThreads.setIntraOpThreadsUnlessChosen(
                threadsPerWorker(Runtime.getRuntime().availableProcessors(), config.workers(), ids.size()));
        for (String id : ids) { // an unknown id fails before anything loads
            if (!isDirectory(id)) {
                ModelRegistry.get(id);
            }
        }
        InferenceService.Builder builder = InferenceService.builder().config(config);
        try {
            for (String id : ids) {
                if (isDirectory(id)) {
                    builder.addModelDirectory(java.nio.file.Path.of(id));
                } else {
                    builder.addZooModel(id, untrained);
                }
            }
        } catch (IOException | RuntimeException e) {
            builder.discard(); // models loaded before the one that failed
            throw e;
        }
        InferenceService service = builder.build();
        try {
            if (grpcPort != null) {
                grpcServer = ConvZooGrpcServer.start(service, new InetSocketAddress(host, grpcPort), maxBodyBytes);
            }
            return ConvZooHttpServer.start(service, httpOptions(service));
        } catch (IOException | RuntimeException e) {
            if (grpcServer != null) {
                grpcServer.close();
            }
            service.close();
            throw e;
        }
    }

    /** Listeners, tokens and CORS from the options; tokens given on the command line win over the file. */
    HttpServerOptions httpOptions(InferenceService service) throws IOException {
        String inference = inferenceToken;
        String management = managementToken;
        if (tokenFile != null) {
            java.util.Properties p = new java.util.Properties();
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(tokenFile)) {
                p.load(in);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--token-file: no such file: " + tokenFile);
            }
            for (String key : p.stringPropertyNames()) {
                if (!key.equals("inference") && !key.equals("management")) {
                    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--token-file "
                            + tokenFile + ": unknown key '" + key + "' (expected inference=... and management=...)");
                }
            }
            inference = inference != null ? inference : p.getProperty("inference");
            management = management != null ? management : p.getProperty("management");
        }
        HttpServerOptions options = HttpServerOptions.of(new InetSocketAddress(host, port), maxBodyBytes,
                        ConvZooHttpServer.handlerThreadsFor(service))
                .withTokens(inference, management).withCorsOrigins(corsOrigins);
        if (enableManagement) {
            options = options.withManagement(new InetSocketAddress(host, managementPort), untrained);
        }
        if (!new InetSocketAddress(host, 0).getAddress().isLoopbackAddress() && options.inferenceToken() == null) {
            LOG.warn("listening on {} without --inference-token: anyone who reaches this address can use the models",
                    host);
        }
        if (enableManagement && options.managementToken() == null) {
            LOG.warn("the management API has no --management-token: anyone who reaches port {} can load models",
                    managementPort);
        }
        return options;
    }

    private static boolean isDirectory(String model) {
        return java.nio.file.Files.isDirectory(java.nio.file.Path.of(model));
    }

    static List<String> defaultModels() {
        List<String> present = new ArrayList<>();
        for (String id : DEFAULT_MODELS) {
            if (ModelRegistry.find(id).isPresent()) {
                present.add(id);
            } else {
                LOG.warn("default model {} is not in this build; serving the others", id);
            }
        }
        return present;
    }

    @Override
    public Integer call() throws Exception {
        ConvZooHttpServer server = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("convzoo serve: shutting down (finishing in-flight requests)");
            server.service().stopAccepting();
            if (grpcServer != null) {
                grpcServer.close();
            }
            server.close();
            stopped.countDown();
        }, "convzoo-shutdown"));
        System.out.println("convzoo serve: listening on http://" + host + ":" + server.port() + "/");
        if (grpcServer != null) {
            System.out.println("convzoo serve: KServe v2 gRPC (inference.GRPCInferenceService) on " + host + ":"
                    + grpcServer.port());
        }
        if (server.managementPort() > 0) {
            System.out.println("convzoo serve: management API on http://" + host + ":" + server.managementPort()
                    + "/models");
        }
        for (ModelEndpoint e : server.service().models()) {
            System.out.println("  " + e.info().name() + "  weights=" + e.info().weights() + "  " + e.config());
        }
        stopped.await();
        return 0;
    }

    /** {@code convzoo serve bench}: the loopback load test whose numbers go into docs/benchmarks.md. */
    @Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
            description = "Load-test a server on 127.0.0.1 against offline batched inference of the same model.")
    static final class Bench implements Callable<Integer> {

        @Option(names = "--model", description = "Model (default ${DEFAULT-VALUE}).")
        String model = "res2net_small";

        @Option(names = "--clients", description = "Concurrent clients of the main run (default ${DEFAULT-VALUE}).")
        int clients = 16;

        @Option(names = "--requests", description = "Requests per client in the main run (default ${DEFAULT-VALUE}).")
        int requests = 1000;

        // 1000: with 250 (about 4 s of server time) runs of the same configuration spread from 0.78 to 1.07.
        @Option(names = "--compare-requests", description = "Requests per client at concurrency 8 for the "
                + "offline comparison (default ${DEFAULT-VALUE}).")
        int compareRequests = 1000;

        @Option(names = "--workers", description = "Workers (default: one per core, as convzoo serve).")
        int workers = defaultWorkers();

        @Option(names = "--batch-size", description = "Largest batch (default ${DEFAULT-VALUE}).")
        int batchSize = 8;

        @Option(names = "--max-batch-delay-ms", description = "Batch delay (default ${DEFAULT-VALUE}).")
        long maxBatchDelayMs = 5;

        @Option(names = "--garbage-every", description = "One garbage request per this many valid ones (default ${DEFAULT-VALUE}).")
        int garbageEvery = 10;

        @Option(names = "--torch-threads", description = "libtorch intra-op threads, set for the server and the "
                + "offline baseline alike (default ${DEFAULT-VALUE}: one per worker, no spinning OpenMP teams).")
        int torchThreads = 1;

        @Option(names = "--grpc", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Then "
                + "the same clients and requests through REST and through gRPC ModelInfer, side by side (default: on).")
        boolean grpc = true;

        @Override
        public Integer call() throws Exception {
            // Read when the engine starts, which happens below (first model load).
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(torchThreads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            ServingConfig config = new ServingConfig(workers, batchSize, maxBatchDelayMs, 1024, 60_000);
            LoadBench.Result r = new LoadBench(model, config).run(clients, requests, compareRequests, garbageEvery);
            System.out.println(r.markdown());
            if (!grpc) {
                return r.passed() ? 0 : 1;
            }
            GrpcLoadBench.Result g = GrpcLoadBench.run(model, config, clients, requests);
            System.out.println(g.markdown());
            return r.passed() && g.passed() ? 0 : 1;
        }
    }
}
