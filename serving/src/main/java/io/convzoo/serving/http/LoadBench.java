package io.convzoo.serving.http;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.serving.api.DjlBatchRunner;
import io.convzoo.serving.api.Histogram;
import io.convzoo.serving.api.ImagePreprocessor;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import io.convzoo.zoo.djl.ConvZooModelZoo;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.HttpURLConnection;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;

/**
 * Loopback load test of the HTTP server (127.0.0.1 only, bounded request counts): throughput and
 * latency under concurrent clients with garbage requests mixed in, RSS before and after, the
 * server at concurrency 8 against offline batched inference of the same model, and a shutdown in
 * the middle of load. {@code convzoo serve bench} prints the result as markdown.
 */
public final class LoadBench {

    private final String model;
    private final ServingConfig config;

    public LoadBench(String model, ServingConfig config) {
        this.model = model;
        this.config = config;
    }

    /** Outcome of one load phase. */
    public record LoadStats(int clients, int validSent, int validOk, Map<Integer, Integer> validStatuses,
                            int garbageSent, Map<Integer, Integer> garbageStatuses, int transportErrors,
                            double seconds, double p50Ms, double p99Ms) {
        public double throughput() {
            return validOk / seconds;
        }

        /** Two phases added up (latency percentiles: the larger of the two). */
        LoadStats plus(LoadStats o) {
            Map<Integer, Integer> vs = new TreeMap<>(validStatuses);
            o.validStatuses.forEach((k, v) -> vs.merge(k, v, Integer::sum));
            Map<Integer, Integer> gs = new TreeMap<>(garbageStatuses);
            o.garbageStatuses.forEach((k, v) -> gs.merge(k, v, Integer::sum));
            return new LoadStats(clients, validSent + o.validSent, validOk + o.validOk, vs, garbageSent + o.garbageSent,
                    gs, transportErrors + o.transportErrors, seconds + o.seconds, Math.max(p50Ms, o.p50Ms),
                    Math.max(p99Ms, o.p99Ms));
        }

        /** Every valid request got 200, every garbage one a 4xx, and no connection failed. */
        public boolean clean() {
            return validOk == validSent && transportErrors == 0
                    && garbageStatuses.keySet().stream().allMatch(s -> s >= 400 && s < 500);
        }
    }

    /** Outcome of stopping the server while clients send. */
    public record ShutdownStats(int answered200, int refused503, int connectionRefused, Map<Integer, Integer> other,
                                int unexpectedErrors) {
        public boolean clean() {
            return other.isEmpty() && unexpectedErrors == 0;
        }
    }

    /** Offline batched throughput at one batch size (images/s): with PNG decode + preprocessing, and forward only. */
    public record Offline(int batch, double withDecode, double forwardOnly) {}

    /** Everything {@code serve bench} reports. */
    public record Result(String model, ServingConfig config, List<Offline> offline,
                         LoadStats at8, LoadStats main, long rssBeforeKb, long rssAfterKb, String batchSizes,
                         double meanBatch, ShutdownStats shutdown, String workerNote) {

        /** The best offline batched throughput (decode included) over the batch sizes measured. */
        public double offlineThroughput() {
            return offline.stream().mapToDouble(Offline::withDecode).max().orElse(Double.NaN);
        }

        public double rssGrowth() {
            return rssBeforeKb <= 0 ? 0 : (rssAfterKb - rssBeforeKb) / (double) rssBeforeKb;
        }

        public double ratioAt8() {
            return at8.throughput() / offlineThroughput();
        }

        public boolean passed() {
            return main.clean() && at8.clean() && shutdown.clean() && rssGrowth() <= 0.05 && ratioAt8() >= 0.9;
        }

        public String markdown() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "model %s, %s, libtorch threads %s, %d cores%n%n", model, config,
                    System.getProperty("ai.djl.pytorch.num_threads", "default"), Runtime.getRuntime().availableProcessors()));
            s.append("| measure | value |\n|---|---|\n");
            for (Offline o : offline) {
                row(s, "offline batched (decode + preprocess + batch " + o.batch() + " forward, 1 thread)",
                        "%.1f img/s", o.withDecode());
                row(s, "offline forward only (preprocessed, batch " + o.batch() + ")", "%.1f img/s", o.forwardOnly());
            }
            row(s, "server, concurrency 8 (" + at8.validSent() + " requests, 3 rounds interleaved with offline)", "%.1f req/s", at8.throughput());
            row(s, "server c=8 / best offline batched", "%.2f×", ratioAt8());
            row(s, "worker at c=8", "%s", workerNote);
            row(s, "server, " + main.clients() + " clients × " + main.validSent() / main.clients() + " requests",
                    "%.1f req/s", main.throughput());
            row(s, "latency p50 / p99 (main run)", "%s", String.format(Locale.ROOT, "%.1f ms / %.1f ms", main.p50Ms(), main.p99Ms()));
            row(s, "valid requests answered 200", "%s", main.validOk() + " / " + main.validSent() + " (other: "
                    + main.validStatuses() + ", transport errors " + main.transportErrors() + ")");
            row(s, "garbage requests mixed in, statuses", "%s", main.garbageSent() + " → " + main.garbageStatuses());
            row(s, "batch sizes seen (histogram buckets ≤1, ≤2, ≤4, ≤8, …)", "%s", batchSizes);
            row(s, "mean batch size", "%.2f", meanBatch);
            row(s, "RSS before / after main run", "%s", String.format(Locale.ROOT, "%,d kB / %,d kB (%+.1f%%)",
                    rssBeforeKb, rssAfterKb, 100 * rssGrowth()));
            row(s, "shutdown during load", "%s", shutdown.answered200() + " answered 200, " + shutdown.refused503()
                    + " refused 503, " + shutdown.connectionRefused() + " connection refused, other " + shutdown.other()
                    + ", unexpected errors " + shutdown.unexpectedErrors());
            s.append("\nverdict: ").append(passed() ? "PASS" : "FAIL").append('\n');
            return s.toString();
        }

        private static void row(StringBuilder s, String name, String format, Object value) {
            s.append("| ").append(name).append(" | ").append(String.format(Locale.ROOT, format, value)).append(" |\n");
        }
    }

    /** Runs every phase. */
    public Result run(int clients, int requests, int compareRequests, int garbageEvery) throws Exception {
        List<byte[]> images = images(32);
        InferenceService service = InferenceService.builder().config(config).addZooModel(model, true).build();
        ConvZooHttpServer server = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0),
                ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES, ConvZooHttpServer.handlerThreadsFor(service));
        ShutdownStats shutdown;
        List<Offline> offlineResult;
        String workerNote;
        LoadStats at8;
        LoadStats main;
        long rssBefore;
        long rssAfter;
        Histogram sizes;
        try {
            // Warm-up at the main run's concurrency (JIT, libtorch, allocator arenas of every thread,
            // connection pools), so "RSS before" is the steady state and growth would mean a leak.
            // 300 requests per client: with 100, the C2 compiler still took ~40% of a core during the
            // comparison that follows.
            load(server.port(), model, images, clients, 300, garbageEvery);
            // Offline and server at concurrency 8, interleaved in 3 rounds so that a change in the
            // machine's load (2 shared cores) hits both sides alike.
            // The offline side at the server's batch size and at batch 8 (when different): the server
            // is compared with the better of the two, not just with its own batching.
            List<Integer> offlineBatches = config.batchSize() == 8 ? List.of(8) : List.of(config.batchSize(), 8);
            double[] offlineSeconds = new double[offlineBatches.size()];
            double[] forwardSeconds = new double[offlineBatches.size()];
            int perRound = Math.max(1, compareRequests / 3);
            LoadStats at8Sum = null;
            Histogram busyBefore = service.metrics().inferenceSeconds(model);
            double busySecondsBefore = busyBefore.sum();
            long batchesBefore = service.metrics().batchSizes(model).count();
            double imagesBefore = service.metrics().batchSizes(model).sum();
            List<OfflineBaseline> baselines = new ArrayList<>();
            try {
                for (int b : offlineBatches) {
                    baselines.add(new OfflineBaseline(model, b, images));
                }
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < baselines.size(); i++) {
                        double[] t = baselines.get(i).seconds(8 * perRound);
                        offlineSeconds[i] += t[0];
                        forwardSeconds[i] += t[1];
                    }
                    LoadStats s8 = load(server.port(), model, images, 8, perRound, 0);
                    at8Sum = at8Sum == null ? s8 : at8Sum.plus(s8);
                }
            } finally {
                baselines.forEach(OfflineBaseline::close);
            }
            offlineResult = new ArrayList<>();
            for (int i = 0; i < offlineBatches.size(); i++) {
                offlineResult.add(new Offline(offlineBatches.get(i), 3 * 8 * perRound / offlineSeconds[i],
                        3 * 8 * perRound / forwardSeconds[i]));
            }
            at8 = at8Sum;
            double busy = service.metrics().inferenceSeconds(model).sum() - busySecondsBefore;
            long batches8 = service.metrics().batchSizes(model).count() - batchesBefore;
            double images8 = service.metrics().batchSizes(model).sum() - imagesBefore;
            workerNote = String.format(Locale.ROOT, "%.0f%% of the c=8 wall time in forwards; %.2f ms per image "
                    + "in the worker (mean batch %.2f) vs %.2f ms offline (batch %d)", 100 * busy / at8.seconds(),
                    1e3 * busy / images8, images8 / Math.max(1, batches8), 1e3 / offlineResult.get(0).forwardOnly(),
                    config.batchSize());
            rssBefore = rssKb();
            main = load(server.port(), model, images, clients, requests, garbageEvery);
            rssAfter = rssKb();
            sizes = service.metrics().batchSizes(model);
            shutdown = shutdownDuringLoad(server, model, images, 8, 400, 50);
        } finally {
            server.close();
        }
        long[] cumulative = sizes.cumulativeCounts();
        StringBuilder buckets = new StringBuilder();
        long previous = 0;
        double[] bounds = sizes.bounds();
        for (int i = 0; i < cumulative.length && bounds[i] <= Math.max(1, config.batchSize()) * 2; i++) {
            buckets.append(i == 0 ? "" : ", ").append("≤").append((long) bounds[i]).append(": ").append(cumulative[i] - previous);
            previous = cumulative[i];
        }
        return new Result(model, config, offlineResult, at8, main, rssBefore, rssAfter, buckets.toString(),
                sizes.sum() / Math.max(1, sizes.count()), shutdown, workerNote);
    }

    /**
     * Offline batched inference of the same model: one predictor on its own thread, as a server
     * worker runs it, after the engine was started by the server on the main thread. (The thread
     * that starts libtorch gets its multi-threaded OpenMP team, measured 10–20× slower on this busy
     * 2-core machine than other threads; a worker-like thread is the fair baseline.)
     */
    private static final class OfflineBaseline implements AutoCloseable {

        private final java.util.concurrent.ExecutorService thread =
                java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-offline"));
        private final ZooModel<NDList, NDList> zoo;
        private final DjlBatchRunner runner;
        private final ImagePreprocessor pre;
        private final long[] shape;
        private final int batchSize;
        private final List<byte[]> images;

        OfflineBaseline(String model, int batchSize, List<byte[]> images) throws Exception {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optGroupId(ConvZooModelZoo.GROUP_ID).optArtifactId(model).optEngine("PyTorch")
                    .optArgument(ConvZooModelLoader.PRETRAINED, false).build();
            this.zoo = criteria.loadModel();
            this.runner = new DjlBatchRunner(zoo);
            String dataset = zoo.getProperty("dataset", Datasets.IMAGENET);
            this.pre = new ImagePreprocessor(Datasets.of(dataset));
            Datasets d = Datasets.of(dataset);
            this.shape = new long[] {d.channels(), d.cropSize(), d.cropSize()};
            this.batchSize = batchSize;
            this.images = images;
            seconds(20 * batchSize); // warm-up
        }

        /** Seconds for n images: {decode + preprocess + batched forward, batched forward only}. */
        double[] seconds(int n) throws Exception {
            return thread.submit(() -> {
                long t0 = System.nanoTime();
                for (int done = 0; done < n; done += batchSize) {
                    runner.run(batch(pre, images, done, batchSize), shape);
                }
                double withDecode = (System.nanoTime() - t0) / 1e9;
                float[][] ready = batch(pre, images, 0, batchSize);
                t0 = System.nanoTime();
                for (int done = 0; done < n; done += batchSize) {
                    runner.run(ready, shape);
                }
                return new double[] {withDecode, (System.nanoTime() - t0) / 1e9};
            }).get();
        }

        @Override
        public void close() {
            thread.submit(runner::close);
            thread.shutdown();
            zoo.close();
        }
    }

    private static long[] shapeOf(String dataset, int elements) {
        Datasets d = Datasets.of(dataset);
        return new long[] {d.channels(), d.cropSize(), d.cropSize()};
    }

    private static float[][] batch(ImagePreprocessor pre, List<byte[]> images, int offset, int b) {
        float[][] out = new float[b][];
        for (int i = 0; i < b; i++) {
            out[i] = pre.toInput(images.get((offset + i) % images.size()));
        }
        return out;
    }

    /**
     * {@code clients} threads, each sending {@code requests} valid images and, when
     * {@code garbageEvery} > 0, one garbage request after every {@code garbageEvery} valid ones.
     */
    public static LoadStats load(int port, String model, List<byte[]> images, int clients, int requests, int garbageEvery)
            throws InterruptedException {
        String base = "http://127.0.0.1:" + port;
        List<byte[]> garbage = garbage(images.get(0));
        Map<Integer, Integer> validStatuses = new ConcurrentHashMap<>();
        Map<Integer, Integer> garbageStatuses = new ConcurrentHashMap<>();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger garbageSent = new AtomicInteger();
        AtomicInteger transport = new AtomicInteger();
        long[][] latencies = new long[clients][requests];
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; i < requests; i++) {
                    byte[] image = images.get((client * 7 + i) % images.size());
                    long start = System.nanoTime();
                    try {
                        int status = post(base + "/predictions/" + model, image, "image/png");
                        latencies[client][i] = System.nanoTime() - start;
                        validStatuses.merge(status, 1, Integer::sum);
                        if (status == 200) {
                            ok.incrementAndGet();
                        }
                    } catch (IOException e) {
                        latencies[client][i] = System.nanoTime() - start;
                        transport.incrementAndGet();
                    }
                    if (garbageEvery > 0 && (i + 1) % garbageEvery == 0) {
                        int kind = (client + i / garbageEvery) % garbage.size();
                        try {
                            int status = kind == garbage.size() - 1
                                    ? post(base + "/v2/models/" + model + "/infer", garbage.get(kind), "application/json")
                                    : kind == garbage.size() - 2
                                    ? post(base + "/predictions/no_such_model", image, "image/png")
                                    : post(base + "/predictions/" + model, garbage.get(kind), "image/png");
                            garbageSent.incrementAndGet();
                            garbageStatuses.merge(status, 1, Integer::sum);
                        } catch (IOException e) {
                            transport.incrementAndGet();
                        }
                    }
                }
            }, "bench-client-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        return new LoadStats(clients, clients * requests, ok.get(), new TreeMap<>(validStatuses), garbageSent.get(),
                new TreeMap<>(garbageStatuses), transport.get(), seconds, percentile(all, 0.50), percentile(all, 0.99));
    }

    /**
     * {@code clients} threads send valid requests (at most {@code maxPerClient} each); after
     * {@code closeAfter} answers in total the server is closed. Each client stops at its first
     * refusal. Every request must be answered 200, refused 503, or refused at connect.
     */
    public static ShutdownStats shutdownDuringLoad(ConvZooHttpServer server, String model, List<byte[]> images,
                                                   int clients, int maxPerClient, int closeAfter)
            throws InterruptedException {
        String base = "http://127.0.0.1:" + server.port();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger connect = new AtomicInteger();
        AtomicInteger unexpected = new AtomicInteger();
        AtomicLong answered = new AtomicLong();
        Map<Integer, Integer> other = new ConcurrentHashMap<>();
        Thread closer = new Thread(server::close, "bench-closer");
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; i < maxPerClient; i++) {
                    try {
                        int status = post(base + "/predictions/" + model, images.get((client + i) % images.size()),
                                "image/png");
                        if (answered.incrementAndGet() == closeAfter) {
                            closer.start();
                        }
                        if (status == 200) {
                            ok.incrementAndGet();
                        } else if (status == 503) {
                            refused.incrementAndGet();
                            return;
                        } else {
                            other.merge(status, 1, Integer::sum);
                            return;
                        }
                    } catch (ConnectException e) {
                        connect.incrementAndGet(); // the listener is closed: a clean refusal
                        return;
                    } catch (IOException e) {
                        // A kept-alive connection closed by the stopping server before it read our request.
                        if (server.service().isClosed()) {
                            connect.incrementAndGet();
                        } else {
                            unexpected.incrementAndGet();
                        }
                        return;
                    }
                }
            }, "bench-shutdown-client-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (closer.getState() != Thread.State.NEW) {
            closer.join();
        }
        return new ShutdownStats(ok.get(), refused.get(), connect.get(), new TreeMap<>(other), unexpected.get());
    }

    /**
     * One POST with the JDK's blocking client (HttpURLConnection: keep-alive, little CPU per call,
     * so the in-process clients take less of the 2 cores from the server they measure).
     *
     * @return the status; the body is read to the end so the connection is reused
     */
    static int post(String url, byte[] body, String contentType) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(30_000);
        c.setReadTimeout(120_000);
        c.setDoOutput(true);
        c.setRequestMethod("POST");
        c.setRequestProperty("Content-Type", contentType);
        c.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (in != null) {
            try (in) {
                in.readAllBytes();
            }
        }
        return status;
    }

    /** The {@code q} quantile of sorted nanoseconds, in ms (also used by the gRPC load test). */
    public static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    /** Requests a client might get wrong: not an image, a truncated PNG, an unknown model, a bad tensor. */
    static List<byte[]> garbage(byte[] validPng) {
        return List.of(
                "definitely not an image".getBytes(StandardCharsets.UTF_8),
                Arrays.copyOf(validPng, Math.max(1, validPng.length / 3)),
                new byte[0],
                new byte[0], // placeholder: sent with a valid image to an unknown model
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,9,9],\"datatype\":\"FP32\",\"data\":[0]}]}"
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** Distinct small PNGs (56×56, a light shape on dark, like Fashion-MNIST). */
    public static List<byte[]> images(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, 56, 56);
            g.setColor(new Color(120 + (i * 31) % 130, 120 + (i * 17) % 130, 120 + (i * 7) % 130));
            g.fillOval(4 + i % 9, 6 + (i * 3) % 11, 24 + i % 20, 20 + (i * 5) % 24);
            g.dispose();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                ImageIO.write(img, "png", bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.add(bytes.toByteArray());
        }
        return out;
    }

    /** Resident set size of this process in kB (Linux), or -1. */
    public static long rssKb() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
