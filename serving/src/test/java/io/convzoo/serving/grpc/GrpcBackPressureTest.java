package io.convzoo.serving.grpc;

import static io.convzoo.serving.grpc.ConvZooGrpcServerTest.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.GatedRunner;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelNotServedException;
import io.convzoo.serving.api.QueueFullException;
import io.convzoo.serving.api.RequestTimeoutException;
import io.convzoo.serving.api.ServiceClosedException;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.ServingException;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.grpc.proto.ModelInferResponse;
import io.convzoo.serving.grpc.proto.ModelReadyRequest;
import io.convzoo.serving.grpc.proto.ServerLiveRequest;
import io.convzoo.serving.grpc.proto.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Queue-full, timeout, closing and shutdown over gRPC, made reproducible by a {@link GatedRunner}
 * (a 1×2×2 model whose batches wait until the test opens the gate; row i = {sum of input i, batch}).
 */
class GrpcBackPressureTest {

    private record Served(InferenceService service, ConvZooGrpcServer server, ManagedChannel channel,
                          GatedRunner runner) implements AutoCloseable {
        static Served of(ServingConfig config) throws Exception {
            GatedRunner runner = new GatedRunner();
            InferenceService service = InferenceService.builder().config(config)
                    .add(GatedRunner.model("gated"), () -> runner).build();
            ConvZooGrpcServer server = ConvZooGrpcServer.start(service, new InetSocketAddress("127.0.0.1", 0), 1 << 16);
            return new Served(service, server, NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                    .usePlaintext().build(), runner);
        }

        GRPCInferenceServiceBlockingStub blocking() {
            return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        }

        GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub async() {
            return GRPCInferenceServiceGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            runner.gate.countDown();
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            server.close();
            service.close();
        }
    }

    static ModelInferRequest filled(float value) {
        return V2Messages.tensor("gated", new long[] {1, 1, 2, 2}, new float[] {value, value, value, value}, false);
    }

    @Test
    void fullQueueIsResourceExhaustedAndQueuedCallsAreStillAnswered() throws Exception {
        try (Served s = Served.of(new ServingConfig(1, 1, 0, 1, 60_000))) {
            ListenableFuture<ModelInferResponse> running = s.async().modelInfer(filled(1));
            assertTrue(s.runner.entered.await(30, TimeUnit.SECONDS));
            ListenableFuture<ModelInferResponse> queued = s.async().modelInfer(filled(2));
            for (int i = 0; i < 3000 && s.service.model("gated").queueDepth() < 1; i++) {
                Thread.sleep(10); // waits for the call to reach the queue; not a timing assertion
            }
            assertEquals(1, s.service.model("gated").queueDepth());
            assertStatus(Status.Code.RESOURCE_EXHAUSTED, "model 'gated' is busy: its queue of 1 requests is full",
                    () -> s.blocking().modelInfer(filled(3)));
            s.runner.gate.countDown();
            assertArrayEquals(new float[] {4, 1}, V2Messages.logits(running.get(30, TimeUnit.SECONDS))[0]);
            assertArrayEquals(new float[] {8, 1}, V2Messages.logits(queued.get(30, TimeUnit.SECONDS))[0]);
        }
    }

    @Test
    void requestNotAnsweredInTimeIsDeadlineExceeded() throws Exception {
        try (Served s = Served.of(new ServingConfig(1, 1, 0, 4, 200))) {
            // The gate stays shut until the answer came, so the 200 ms timeout must fire.
            assertStatus(Status.Code.DEADLINE_EXCEEDED, "model 'gated' did not answer within 200 ms",
                    () -> s.blocking().modelInfer(filled(1)));
        }
    }

    @Test
    void closingServiceIsUnavailableAndNotReadyButLive() throws Exception {
        try (Served s = Served.of(new ServingConfig(1, 1, 0, 4, 60_000))) {
            assertTrue(s.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
            s.service.stopAccepting();
            assertStatus(Status.Code.UNAVAILABLE, "model 'gated' is shutting down",
                    () -> s.blocking().modelInfer(filled(1)));
            assertFalse(s.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
            assertFalse(s.blocking().modelReady(ModelReadyRequest.newBuilder().setName("gated").build()).getReady());
            assertTrue(s.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        }
    }

    @Test
    void closeAnswersTheCallsInFlightFirst() throws Exception {
        try (Served s = Served.of(new ServingConfig(1, 4, 0, 4, 60_000))) {
            ListenableFuture<ModelInferResponse> inFlight = s.async().modelInfer(filled(5));
            assertTrue(s.runner.entered.await(30, TimeUnit.SECONDS));
            Thread closer = new Thread(s.server::close);
            closer.start();
            s.runner.gate.countDown();
            assertArrayEquals(new float[] {20, 1}, V2Messages.logits(inFlight.get(30, TimeUnit.SECONDS))[0]);
            closer.join(30_000);
            assertFalse(closer.isAlive());
        }
    }

    @Test
    void everyServingFailureHasItsStatusCode() {
        assertEquals(Status.Code.NOT_FOUND, GrpcStatuses.of(new ModelNotServedException("x", List.of("y"))).getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, GrpcStatuses.of(new BadInputException("bad")).getCode());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, GrpcStatuses.of(new QueueFullException("x", 3)).getCode());
        assertEquals(Status.Code.DEADLINE_EXCEEDED, GrpcStatuses.of(new RequestTimeoutException("x", 5)).getCode());
        assertEquals(Status.Code.UNAVAILABLE, GrpcStatuses.of(new ServiceClosedException("x")).getCode());
        assertEquals(Status.Code.INTERNAL, GrpcStatuses.of(new ServingException(500, "batch failed")).getCode());
        assertEquals(Status.Code.UNAVAILABLE, GrpcStatuses.of(new ServingException(503, "interrupted")).getCode());
        Status wrapped = GrpcStatuses.of(new CompletionException(new QueueFullException("m", 2)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, wrapped.getCode());
        assertEquals("model 'm' is busy: its queue of 2 requests is full; retry later", wrapped.getDescription());
        Status unexpected = GrpcStatuses.of(new IllegalStateException("boom"));
        assertEquals(Status.Code.INTERNAL, unexpected.getCode());
        assertEquals("internal error: java.lang.IllegalStateException: boom", unexpected.getDescription());
    }
}
