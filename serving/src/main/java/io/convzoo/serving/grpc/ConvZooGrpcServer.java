package io.convzoo.serving.grpc;

import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The Open Inference Protocol (KServe v2) over gRPC, {@code inference.GRPCInferenceService}
 * (src/main/proto/inference.proto), in front of an {@link InferenceService} that the HTTP server
 * may share: both feed the same per-model batching queues. The service stays the caller's to close.
 */
public final class ConvZooGrpcServer implements AutoCloseable {

    private final Server server;
    private final InferenceService service;
    private volatile boolean closing;

    private ConvZooGrpcServer(InferenceService service, NettyServerBuilder builder) throws IOException {
        this.service = service;
        this.server = builder.addService(new InferenceGrpcService(service, () -> closing)).build().start();
    }

    /**
     * Starts serving on {@code address} (port 0 picks a free port).
     *
     * @param maxMessageBytes larger requests are refused with RESOURCE_EXHAUSTED (gRPC's own check)
     */
    public static ConvZooGrpcServer start(InferenceService service, InetSocketAddress address, long maxMessageBytes)
            throws IOException {
        int max = (int) Math.min(Integer.MAX_VALUE, maxMessageBytes);
        return new ConvZooGrpcServer(service, NettyServerBuilder.forAddress(address).maxInboundMessageSize(max));
    }

    public int port() {
        return server.getPort();
    }

    public InferenceService service() {
        return service;
    }

    /**
     * Graceful shutdown: new calls are refused (UNAVAILABLE), calls in flight are answered (waiting
     * at most the longest request timeout plus a margin), then the listener closes.
     */
    @Override
    public void close() {
        closing = true;
        server.shutdown();
        long waitMs = 5_000;
        for (ModelEndpoint e : service.models()) {
            waitMs = Math.max(waitMs, e.config().timeoutMs() + 5_000);
        }
        try {
            if (!server.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }
}
