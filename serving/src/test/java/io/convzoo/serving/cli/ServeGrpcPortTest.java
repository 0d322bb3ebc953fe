package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.serving.api.Prediction;
import io.convzoo.serving.grpc.V2Messages;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.convzoo.serving.grpc.proto.ModelReadyRequest;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code serve --grpc-port}: gRPC next to HTTP on the same models; off without the option. */
class ServeGrpcPortTest {

    @Test
    void grpcIsOffUnlessAskedFor() {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--port", "0");
        assertNull(cmd.grpcPort);
    }

    @Test
    void grpcPortServesTheSameModelsAsHttp() throws Exception {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--model", "res2net_small", "--port", "0", "--grpc-port", "0", "--workers", "1");
        ConvZooHttpServer http = cmd.start();
        ManagedChannel channel = null;
        try {
            assertTrue(cmd.grpcServer.port() > 0);
            assertNotEquals(http.port(), cmd.grpcServer.port());
            assertTrue(http.service() == cmd.grpcServer.service(), "one InferenceService behind both servers");
            channel = NettyChannelBuilder.forAddress("127.0.0.1", cmd.grpcServer.port()).usePlaintext().build();
            GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName("res2net_small").build()).getReady());
            // The top class over gRPC is the one REST answers for the same image: one model behind both.
            byte[] png = io.convzoo.serving.api.TestImages.png(28, 3);
            float[][] viaGrpc = V2Messages.logits(stub.modelInfer(V2Messages.images("res2net_small", List.of(png), true)));
            assertEquals(1, viaGrpc.length);
            assertEquals(10, viaGrpc[0].length);
            HttpResponse<String> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + http.port() + "/predictions/res2net_small?topk=1"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, rest.statusCode());
            String top = Prediction.topK(viaGrpc[0], http.service().model("res2net_small").info().classNames(), 1)
                    .get(0).className();
            assertTrue(rest.body().contains("\"className\":\"" + top + "\""), rest.body() + " vs " + top);
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            cmd.grpcServer.close();
            http.close();
        }
    }
}
