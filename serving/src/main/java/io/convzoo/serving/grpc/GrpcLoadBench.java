package io.convzoo.serving.grpc;

import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.convzoo.serving.http.LoadBench;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * REST against gRPC on 127.0.0.1 (bounded request counts): one {@link InferenceService}, served by
 * the HTTP and the gRPC server at once, takes the same images from the same number of clients
 * through {@code POST /predictions/{model}} (PNG body) and through ModelInfer (the PNG as a BYTES
 * element in {@code raw_input_contents}, as Triton's and KServe's clients send it). Both warm up
 * first; the two runs then alternate in halves, so a change in the machine's load hits both alike.
 */
public final class GrpcLoadBench {

    /** One protocol's figures: every phase of it added up. */
    public record Row(String protocol, int clients, int sent, int ok, int transportErrors, Map<String, Integer> failures,
                      double seconds, double p50Ms, double p99Ms, long rssBeforeKb, long rssAfterKb) {
        public double throughput() {
            return ok / seconds;
        }

        /** Requests without a successful answer. */
        public int lost() {
            return sent - ok;
        }

        /** RSS growth over the phases, as a fraction of the RSS before them. */
        public double rssGrowth() {
            return rssBeforeKb <= 0 ? 0 : (rssAfterKb - rssBeforeKb) / (double) rssBeforeKb;
        }
    }

    public record Result(String model, ServingConfig config, Row rest, Row grpc) {
        public boolean passed() {
            // The REST load test's bar: nothing lost, RSS flat (at most 5 % growth).
            return rest.lost() == 0 && grpc.lost() == 0 && rest.rssGrowth() <= 0.05 && grpc.rssGrowth() <= 0.05;
        }

        public String markdown() {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                    "REST vs gRPC: model %s, %s, one service behind both servers, PNG requests%n%n", model, config));
            s.append("| protocol | clients × requests | req/s | p50 ms | p99 ms | lost | RSS before → after (MB) |\n");
            s.append("|---|---|---|---|---|---|---|\n");
            for (Row r : List.of(rest, grpc)) {
                s.append(String.format(Locale.ROOT, "| %s | %d × %d | %.0f | %.1f | %.1f | %d%s | %.0f → %.0f |%n",
                        r.protocol(), r.clients(), r.sent() / r.clients(), r.throughput(), r.p50Ms(), r.p99Ms(), r.lost(),
                        r.failures().isEmpty() && r.transportErrors() == 0 ? ""
                                : " " + r.failures() + (r.transportErrors() > 0 ? " transport " + r.transportErrors() : ""),
                        r.rssBeforeKb() / 1024.0, r.rssAfterKb() / 1024.0));
            }
            s.append(String.format(Locale.ROOT, "%ngRPC / REST throughput: %.2f×%n", grpc.throughput() / rest.throughput()));
            return s.toString();
        }
    }

    private GrpcLoadBench() {}

    /** {@code clients} clients send {@code requests} PNGs each through REST, and the same through gRPC. */
    public static Result run(String model, ServingConfig config, int clients, int requests) throws Exception {
        List<byte[]> images = LoadBench.images(32);
        InferenceService service = InferenceService.builder().config(config).addZooModel(model, true).build();
        ConvZooHttpServer http = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0),
                ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES, ConvZooHttpServer.handlerThreadsFor(service));
        ConvZooGrpcServer grpc = ConvZooGrpcServer.start(service, new InetSocketAddress("127.0.0.1", 0),
                ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
        try {
            int warmUp = Math.max(1, Math.min(requests, 200));
            LoadBench.load(http.port(), model, images, clients, warmUp, 0);
            load(channel, model, images, clients, warmUp);
            List<Row> rest = new ArrayList<>();
            List<Row> rpc = new ArrayList<>();
            for (int half : new int[] {requests / 2, requests - requests / 2}) {
                long before = LoadBench.rssKb();
                LoadBench.LoadStats s = LoadBench.load(http.port(), model, images, clients, half, 0);
                Map<String, Integer> failures = new TreeMap<>();
                s.validStatuses().forEach((code, n) -> {
                    if (code != 200) {
                        failures.put("HTTP " + code, n);
                    }
                });
                rest.add(new Row("REST", clients, s.validSent(), s.validOk(), s.transportErrors(), failures, s.seconds(),
                        s.p50Ms(), s.p99Ms(), before, LoadBench.rssKb()));
                rpc.add(load(channel, model, images, clients, half));
            }
            return new Result(model, config, sum(rest), sum(rpc));
        } finally {
            channel.shutdown();
            channel.awaitTermination(10, TimeUnit.SECONDS);
            service.stopAccepting();
            grpc.close();
            http.close();
        }
    }

    /** Phases of one protocol added up: latency percentiles are the larger of the phases', RSS first to last. */
    private static Row sum(List<Row> phases) {
        Row first = phases.get(0);
        Row last = phases.get(phases.size() - 1);
        Map<String, Integer> failures = new TreeMap<>();
        phases.forEach(p -> p.failures().forEach((k, v) -> failures.merge(k, v, Integer::sum)));
        return new Row(first.protocol(), first.clients(), phases.stream().mapToInt(Row::sent).sum(),
                phases.stream().mapToInt(Row::ok).sum(), phases.stream().mapToInt(Row::transportErrors).sum(), failures,
                phases.stream().mapToDouble(Row::seconds).sum(), phases.stream().mapToDouble(Row::p50Ms).max().orElse(0),
                phases.stream().mapToDouble(Row::p99Ms).max().orElse(0), first.rssBeforeKb(), last.rssAfterKb());
    }

    /**
     * {@code clients} threads on one channel (HTTP/2 multiplexes them, as gRPC clients usually share
     * one), each sending {@code requests} blocking ModelInfer calls.
     */
    public static Row load(ManagedChannel channel, String model, List<byte[]> images, int clients, int requests)
            throws InterruptedException {
        List<ModelInferRequest> messages = images.stream().map(png -> V2Messages.images(model, List.of(png), true))
                .toList();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        AtomicInteger ok = new AtomicInteger();
        long[][] latencies = new long[clients][requests];
        List<Thread> threads = new ArrayList<>();
        long rssBefore = LoadBench.rssKb();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc
                        .newBlockingStub(channel);
                for (int i = 0; i < requests; i++) {
                    ModelInferRequest request = messages.get((client * 7 + i) % messages.size());
                    long start = System.nanoTime();
                    try {
                        stub.withDeadlineAfter(120, TimeUnit.SECONDS).modelInfer(request);
                        ok.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                        failures.merge(e.getStatus().getCode().name(), 1, Integer::sum);
                    }
                    latencies[client][i] = System.nanoTime() - start;
                }
            }, "bench-grpc-client-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        return new Row("gRPC", clients, clients * requests, ok.get(), 0, new TreeMap<>(failures), seconds,
                LoadBench.percentile(all, 0.50), LoadBench.percentile(all, 0.99), rssBefore, LoadBench.rssKb());
    }
}
