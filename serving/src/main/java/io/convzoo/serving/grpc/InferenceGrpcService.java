package io.convzoo.serving.grpc;

import com.google.protobuf.ByteString;
import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.ServedModel;
import io.convzoo.serving.api.ServingException;
import io.convzoo.serving.grpc.proto.GRPCInferenceServiceGrpc;
import io.convzoo.serving.grpc.proto.InferTensorContents;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.grpc.proto.ModelInferResponse;
import io.convzoo.serving.grpc.proto.ModelMetadataRequest;
import io.convzoo.serving.grpc.proto.ModelMetadataResponse;
import io.convzoo.serving.grpc.proto.ModelMetadataResponse.TensorMetadata;
import io.convzoo.serving.grpc.proto.ModelReadyRequest;
import io.convzoo.serving.grpc.proto.ModelReadyResponse;
import io.convzoo.serving.grpc.proto.ServerLiveRequest;
import io.convzoo.serving.grpc.proto.ServerLiveResponse;
import io.convzoo.serving.grpc.proto.ServerMetadataRequest;
import io.convzoo.serving.grpc.proto.ServerMetadataResponse;
import io.convzoo.serving.grpc.proto.ServerReadyRequest;
import io.convzoo.serving.grpc.proto.ServerReadyResponse;
import io.convzoo.serving.http.ConvZooHttpServer;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol's {@code inference.GRPCInferenceService} over an
 * {@link InferenceService}: the REST KServe v2 endpoint's model, tensors and errors, on gRPC. A
 * ModelInfer request queues its items on the model's batching queue and is answered when they are
 * done, holding no thread while it waits. Failures become the gRPC status of
 * {@link GrpcStatuses#of}.
 */
final class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    /** The only model version served (metadata lists it; another asked for is NOT_FOUND). */
    static final String VERSION = "1";
    static final String OUTPUT = "logits";
    /** The REST endpoint's input name, reported in model metadata (any name is accepted). */
    static final String INPUT = "input0";
    static final String PLATFORM = "djl_pytorch";
    static final String SERVER_NAME = "convzoo";

    private final InferenceService service;
    private final Supplier<Boolean> stopping;

    InferenceGrpcService(InferenceService service, Supplier<Boolean> stopping) {
        this.service = service;
        this.stopping = stopping;
    }

    private boolean ready() {
        return !stopping.get() && !service.isClosed();
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, () -> ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, () -> ServerReadyResponse.newBuilder().setReady(ready()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, () -> {
            model(request.getName(), request.getVersion());
            return ModelReadyResponse.newBuilder().setReady(ready()).build();
        });
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(out, () -> ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(serverVersion()).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, () -> {
            ServedModel info = model(request.getName(), request.getVersion()).info();
            long[] item = info.inputShape();
            return ModelMetadataResponse.newBuilder()
                    .setName(info.name())
                    .addVersions(VERSION)
                    .setPlatform(PLATFORM)
                    .addInputs(TensorMetadata.newBuilder().setName(INPUT).setDatatype(InferInputs.FP32)
                            .addShape(-1).addShape(item[0]).addShape(item[1]).addShape(item[2]))
                    .addOutputs(TensorMetadata.newBuilder().setName(OUTPUT).setDatatype(InferInputs.FP32)
                            .addShape(-1).addShape(info.numClasses()))
                    .build();
        });
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        // A client that cancels or passes its deadline gets nothing more; answering it must not throw.
        ((ServerCallStreamObserver<ModelInferResponse>) out).setOnCancelHandler(() -> { });
        List<CompletableFuture<float[]>> rows;
        ModelEndpoint endpoint;
        try {
            endpoint = model(request.getModelName(), request.getModelVersion());
            for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
                if (!OUTPUT.equals(o.getName())) {
                    throw new BadInputException("model '" + request.getModelName() + "' has no output '" + o.getName()
                            + "'; its output is '" + OUTPUT + "'");
                }
            }
            List<float[]> items = InferInputs.items(service, endpoint.info(), request, ConvZooHttpServer.MAX_V2_ITEMS);
            rows = new ArrayList<>(items.size());
            for (float[] item : items) {
                rows.add(service.infer(request.getModelName(), item)); // retried on an endpoint replaced by a rescale
            }
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.of(e).asRuntimeException());
            return;
        }
        boolean raw = request.getRawInputContentsCount() > 0;
        int classes = endpoint.info().numClasses();
        CompletableFuture.allOf(rows.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
            if (failure != null) {
                out.onError(GrpcStatuses.of(failure).asRuntimeException());
                return;
            }
            out.onNext(response(request, rows, classes, raw));
            out.onCompleted();
        });
    }

    /** The logits [N, K], as typed FP32 contents, or raw (little-endian) when the request came raw. */
    private static ModelInferResponse response(ModelInferRequest request, List<CompletableFuture<float[]>> rows,
                                               int classes, boolean raw) {
        ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
                .setName(OUTPUT).setDatatype(InferInputs.FP32).addShape(rows.size()).addShape(classes);
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder().setModelName(request.getModelName())
                .setModelVersion(VERSION).setId(request.getId());
        if (raw) {
            ByteBuffer bytes = ByteBuffer.allocate(rows.size() * classes * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (CompletableFuture<float[]> r : rows) {
                for (float v : r.join()) {
                    bytes.putFloat(v);
                }
            }
            response.addOutputs(tensor).addRawOutputContents(ByteString.copyFrom(bytes.array()));
        } else {
            InferTensorContents.Builder contents = InferTensorContents.newBuilder();
            for (CompletableFuture<float[]> r : rows) {
                for (float v : r.join()) {
                    contents.addFp32Contents(v);
                }
            }
            response.addOutputs(tensor.setContents(contents));
        }
        return response.build();
    }

    /** The served model of that name; a version other than the one served is NOT_FOUND too. */
    private ModelEndpoint model(String name, String version) {
        ModelEndpoint endpoint = service.model(name);
        if (!version.isEmpty() && !VERSION.equals(version)) {
            throw new ServingException(404, "model '" + name + "' has no version '" + version + "'; it has version "
                    + VERSION);
        }
        return endpoint;
    }

    private static <T> void answer(StreamObserver<T> out, Supplier<T> body) {
        T value;
        try {
            value = body.get();
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.of(e).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    /** The serving module's version from its jar's Maven metadata; "dev" when run from classes. */
    static String serverVersion() {
        try (InputStream in = InferenceGrpcService.class.getResourceAsStream(
                "/META-INF/maven/io.convzoo/convzoo-serving/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "dev");
            }
        } catch (IOException e) {
            return "dev";
        }
        return "dev";
    }
}
