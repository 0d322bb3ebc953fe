package io.convzoo.serving.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.Prediction;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.convzoo.serving.grpc.proto.InferTensorContents;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.grpc.proto.ModelInferResponse;
import io.convzoo.serving.grpc.proto.ModelMetadataRequest;
import io.convzoo.serving.grpc.proto.ModelMetadataResponse;
import io.convzoo.serving.grpc.proto.ModelReadyRequest;
import io.convzoo.serving.grpc.proto.ServerLiveRequest;
import io.convzoo.serving.grpc.proto.ServerMetadataRequest;
import io.convzoo.serving.grpc.proto.ServerMetadataResponse;
import io.convzoo.serving.grpc.proto.ServerReadyRequest;
import io.convzoo.zoo.Datasets;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real gRPC client (Netty, plaintext HTTP/2 on 127.0.0.1, a free port) against the server in
 * front of a real zoo model: every RPC, its answers against the {@link InferenceService}'s own, and
 * the error codes of bad requests.
 */
class ConvZooGrpcServerTest {

    static final String MODEL = "pyconvresnet_small";
    static final Path SAMPLES = Paths.get("").toAbsolutePath().getParent().resolve("samples/fashion-mnist");

    static InferenceService service;
    static ConvZooGrpcServer server;
    static ManagedChannel channel;
    static GRPCInferenceServiceBlockingStub stub;
    static byte[] boot;
    static byte[] trouser;

    @BeforeAll
    static void start() throws Exception {
        service = InferenceService.builder().config(new ServingConfig(1, 4, 2, 64, 60_000)).addZooModel(MODEL, false)
                .build();
        server = ConvZooGrpcServer.start(service, new java.net.InetSocketAddress("127.0.0.1", 0), 1 << 20);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        boot = Files.readAllBytes(SAMPLES.resolve("00000-ankle-boot.png"));
        trouser = Files.readAllBytes(SAMPLES.resolve("00002-trouser.png"));
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdown().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
        service.close();
    }

    @Test
    void serverHealthAndMetadata() {
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        ServerMetadataResponse meta = stub.serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("convzoo", meta.getName());
        assertEquals(InferenceGrpcService.serverVersion(), meta.getVersion());
        assertFalse(meta.getVersion().isEmpty());
        assertEquals(0, meta.getExtensionsCount());
    }

    @Test
    void modelReadyAndMetadataDescribeTheServedModel() {
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady());
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).setVersion("1").build()).getReady());
        ModelMetadataResponse m = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
        assertEquals(MODEL, m.getName());
        assertEquals(List.of("1"), m.getVersionsList());
        assertEquals("djl_pytorch", m.getPlatform());
        assertEquals(1, m.getInputsCount());
        assertEquals("input0", m.getInputs(0).getName());
        assertEquals("FP32", m.getInputs(0).getDatatype());
        assertEquals(List.of(-1L, 1L, 28L, 28L), m.getInputs(0).getShapeList());
        assertEquals(1, m.getOutputsCount());
        assertEquals("logits", m.getOutputs(0).getName());
        assertEquals("FP32", m.getOutputs(0).getDatatype());
        assertEquals(List.of(-1L, 10L), m.getOutputs(0).getShapeList());
    }

    @Test
    void unknownModelOrVersionIsNotFound() {
        String served = "served models: " + MODEL;
        assertStatus(Status.Code.NOT_FOUND, "model 'nope' is not served; " + served,
                () -> stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()));
        assertStatus(Status.Code.NOT_FOUND, "model 'nope' is not served; " + served,
                () -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()));
        assertStatus(Status.Code.NOT_FOUND, "model 'nope' is not served; " + served,
                () -> stub.modelInfer(V2Messages.images("nope", List.of(boot), false)));
        assertStatus(Status.Code.NOT_FOUND, "model '" + MODEL + "' has no version '2'; it has version 1",
                () -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).setVersion("2").build()));
        assertStatus(Status.Code.NOT_FOUND, "has no version '2'", () -> stub.modelInfer(
                V2Messages.images(MODEL, List.of(boot), false).toBuilder().setModelVersion("2").build()));
    }

    @Test
    void predictionEqualsTheInferenceServicesForTheSampleImages() {
        ModelInferResponse r = stub.modelInfer(V2Messages.images(MODEL, List.of(boot, trouser), false).toBuilder()
                .setId("req-7").build());
        assertEquals(MODEL, r.getModelName());
        assertEquals("1", r.getModelVersion());
        assertEquals("req-7", r.getId());
        assertEquals(1, r.getOutputsCount());
        assertEquals("logits", r.getOutputs(0).getName());
        assertEquals("FP32", r.getOutputs(0).getDatatype());
        assertEquals(List.of(2L, 10L), r.getOutputs(0).getShapeList());
        assertEquals(0, r.getRawOutputContentsCount(), "typed request, typed answer");
        float[][] logits = V2Messages.logits(r);
        List<String> classes = Datasets.of(Datasets.FASHION_MNIST).classNamesFor(10);
        byte[][] images = {boot, trouser};
        for (int i = 0; i < 2; i++) {
            List<Prediction> expected = service.classify(MODEL, images[i], 10);
            List<Prediction> got = Prediction.topK(logits[i], classes, 10);
            assertEquals(expected.get(0).className(), got.get(0).className(), "top-1 of image " + i);
            for (int c = 0; c < 10; c++) {
                assertEquals(expected.get(c).className(), got.get(c).className(), "rank " + c + " of image " + i);
                assertEquals(expected.get(c).probability(), got.get(c).probability(), 1e-6, "probability " + c);
            }
        }
        assertFalse(Arrays.equals(logits[0], logits[1]), "two different images, two different answers");
    }

    @Test
    void rawAndTypedBytesAndFp32TensorsGiveTheSameLogits() {
        float[] bootInput = service.preprocess(MODEL, boot);
        float[] trouserInput = service.preprocess(MODEL, trouser);
        float[] both = new float[2 * 784];
        System.arraycopy(bootInput, 0, both, 0, 784);
        System.arraycopy(trouserInput, 0, both, 784, 784);
        float[][] typed = V2Messages.logits(stub.modelInfer(V2Messages.images(MODEL, List.of(boot, trouser), false)));
        ModelInferResponse rawAnswer = stub.modelInfer(V2Messages.images(MODEL, List.of(boot, trouser), true));
        assertEquals(1, rawAnswer.getRawOutputContentsCount(), "raw request, raw answer");
        assertEquals(2 * 10 * 4, rawAnswer.getRawOutputContents(0).size());
        assertFalse(rawAnswer.getOutputs(0).hasContents());
        float[][] raw = V2Messages.logits(rawAnswer);
        long[] shape = {2, 1, 28, 28};
        float[][] fp32 = V2Messages.logits(stub.modelInfer(V2Messages.tensor(MODEL, shape, both, false)));
        float[][] fp32Raw = V2Messages.logits(stub.modelInfer(V2Messages.tensor(MODEL, shape, both, true)));
        float[] direct = InferenceService.await(service.infer(MODEL, bootInput));
        for (float[][] answer : List.of(raw, fp32, fp32Raw)) {
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(typed[i], answer[i], 1e-5f);
            }
        }
        assertArrayEquals(direct, typed[0], 1e-5f);
        // [N, 1] is a BYTES vector too (how some clients shape one image per row).
        ModelInferRequest column = V2Messages.images(MODEL, List.of(boot), false);
        column = column.toBuilder().setInputs(0, column.getInputs(0).toBuilder().addShape(1)).build();
        assertArrayEquals(typed[0], V2Messages.logits(stub.modelInfer(column))[0], 1e-5f);
    }

    @Test
    void badInputIsInvalidArgumentNamingTheProblem() {
        ModelInferRequest image = V2Messages.images(MODEL, List.of(boot), false);
        ModelInferRequest.InferInputTensor input = image.getInputs(0);
        assertInvalid("datatype 'INT32'; model '" + MODEL + "' takes FP32 of shape [N, 1, 28, 28] or BYTES",
                image.toBuilder().setInputs(0, input.toBuilder().setDatatype("INT32")).build());
        assertInvalid("input 'input0' has shape [1, 3, 28, 28]",
                V2Messages.tensor(MODEL, new long[] {1, 3, 28, 28}, new float[3 * 784], false));
        assertInvalid("input 'input0' of shape [1, 1, 28, 28] needs 784 FP32 values, got 3",
                V2Messages.tensor(MODEL, new long[] {1, 1, 28, 28}, new float[3], false));
        assertInvalid("not a whole number of 4-byte floats", V2Messages.tensor(MODEL, new long[] {1, 1, 28, 28},
                new float[784], true).toBuilder().setRawInputContents(0, ByteString.copyFrom(new byte[5])).build());
        assertInvalid("input 'input0' element 0: the body is not an image",
                V2Messages.images(MODEL, List.of("not an image".getBytes()), false));
        assertInvalid("input 'input0' element 1: the image could not be decoded",
                V2Messages.images(MODEL, List.of(boot, Arrays.copyOf(boot, boot.length / 3)), true));
        assertInvalid("needs 2 BYTES elements, got 1",
                image.toBuilder().setInputs(0, input.toBuilder().setShape(0, 2)).build());
        assertInvalid("BYTES input is one encoded image per element, shape [N] or [N, 1]",
                image.toBuilder().setInputs(0, input.toBuilder().addShape(3)).build());
        assertInvalid("takes one input tensor, got 2", image.toBuilder().addInputs(input).build());
        assertInvalid("takes one input tensor, got 0", image.toBuilder().clearInputs().build());
        assertInvalid("has both contents and raw_input_contents",
                image.toBuilder().addRawInputContents(ByteString.copyFrom(boot)).build());
        assertInvalid("raw_input_contents has 2 entries for 1 input", V2Messages.images(MODEL, List.of(boot), true)
                .toBuilder().addRawInputContents(ByteString.EMPTY).build());
        assertInvalid("end inside an element's 4-byte length prefix", V2Messages.images(MODEL, List.of(boot), true)
                .toBuilder().setRawInputContents(0, ByteString.copyFrom(new byte[] {1, 0})).build());
        assertInvalid("element 0 says 1000 bytes, only 2 follow", V2Messages.images(MODEL, List.of(boot), true)
                .toBuilder().setRawInputContents(0, ByteString.copyFrom(new byte[] {(byte) 0xe8, 3, 0, 0, 1, 2}))
                .build());
        assertInvalid("has no output 'probabilities'; its output is 'logits'", image.toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities")).build());
        assertInvalid("at most 256 items per request, got N=257", image.toBuilder().setInputs(0, input.toBuilder()
                .setShape(0, 257).setContents(InferTensorContents.getDefaultInstance())).build());
        // A requested output that exists is fine.
        assertEquals(1, stub.modelInfer(image.toBuilder().addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build()).getOutputsCount());
    }

    @Test
    void messageOverTheLimitIsResourceExhausted() {
        // The server was started with a 1 MiB limit.
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "exceeds maximum",
                () -> stub.modelInfer(V2Messages.images(MODEL, List.of(new byte[(1 << 20) + 1]), true)));
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), "the channel still works");
    }

    @Test
    void concurrentClientsEachGetTheirOwnAnswer() throws Exception {
        List<byte[]> images = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] png = io.convzoo.serving.api.TestImages.png(28 + 4 * i, i);
            images.add(png);
            expected.add(InferenceService.await(service.infer(MODEL, service.preprocess(MODEL, png))));
        }
        int clients = 8;
        int requests = 20;
        AtomicInteger answered = new AtomicInteger();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                for (int i = 0; i < requests; i++) {
                    int k = (client + i) % images.size();
                    try {
                        float[] got = V2Messages.logits(stub.modelInfer(
                                V2Messages.images(MODEL, List.of(images.get(k)), (client + i) % 2 == 0)))[0];
                        for (int j = 0; j < got.length; j++) {
                            if (Math.abs(got[j] - expected.get(k)[j]) > 1e-4f) {
                                wrong.add("client " + client + " request " + i + ": " + Arrays.toString(got));
                                break;
                            }
                        }
                        answered.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                        wrong.add("client " + client + " request " + i + ": " + e.getStatus());
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        assertEquals(List.of(), List.copyOf(wrong));
        assertEquals(clients * requests, answered.get());
    }

    @Test
    void benchLoadCountsEveryAnswer() throws Exception {
        GrpcLoadBench.Row row = GrpcLoadBench.load(channel, MODEL, List.of(boot, trouser), 3, 4);
        assertEquals("gRPC", row.protocol());
        assertEquals(12, row.sent());
        assertEquals(12, row.ok());
        assertEquals(0, row.lost());
        assertEquals(java.util.Map.of(), row.failures());
        assertTrue(row.p50Ms() > 0 && row.p99Ms() >= row.p50Ms(), row.toString());
        GrpcLoadBench.Row unknown = GrpcLoadBench.load(channel, "nope", List.of(boot), 2, 2);
        assertEquals(4, unknown.lost());
        assertEquals(java.util.Map.of("NOT_FOUND", 4), unknown.failures());
    }

    static void assertInvalid(String message, ModelInferRequest request) {
        assertStatus(Status.Code.INVALID_ARGUMENT, message, () -> stub.modelInfer(request));
    }

    static void assertStatus(Status.Code code, String message, Supplier<?> call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        String description = String.valueOf(e.getStatus().getDescription());
        assertTrue(description.contains(message), "'" + description + "' should contain '" + message + "'");
    }
}
