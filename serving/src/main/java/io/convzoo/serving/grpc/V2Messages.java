package io.convzoo.serving.grpc;

import com.google.protobuf.ByteString;
import io.convzoo.serving.grpc.proto.InferTensorContents;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.grpc.proto.ModelInferRequest.InferInputTensor;
import io.convzoo.serving.grpc.proto.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Client side of ConvZoo's ModelInfer: the two requests it takes (encoded images as BYTES, or an
 * FP32 tensor [N, C, H, W]), each with typed contents or {@code raw_input_contents}, and the logits
 * [N, K] read back from either form of answer.
 */
public final class V2Messages {

    private V2Messages() {}

    /** Encoded images (PNG, JPEG, ...) as one BYTES input of shape [N]. */
    public static ModelInferRequest images(String model, List<byte[]> images, boolean raw) {
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName(InferenceGrpcService.INPUT)
                .setDatatype(InferInputs.BYTES).addShape(images.size());
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model);
        if (raw) {
            int size = images.stream().mapToInt(e -> Integer.BYTES + e.length).sum();
            ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] e : images) {
                out.putInt(e.length).put(e);
            }
            return request.addInputs(input).addRawInputContents(ByteString.copyFrom(out.array())).build();
        }
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        images.forEach(e -> contents.addBytesContents(ByteString.copyFrom(e)));
        return request.addInputs(input.setContents(contents)).build();
    }

    /** An FP32 tensor of {@code shape}, its values flat in row-major order. */
    public static ModelInferRequest tensor(String model, long[] shape, float[] values, boolean raw) {
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName(InferenceGrpcService.INPUT)
                .setDatatype(InferInputs.FP32);
        for (long d : shape) {
            input.addShape(d);
        }
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model);
        if (raw) {
            ByteBuffer out = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(values);
            return request.addInputs(input).addRawInputContents(ByteString.copyFrom(out.array())).build();
        }
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float v : values) {
            contents.addFp32Contents(v);
        }
        return request.addInputs(input.setContents(contents)).build();
    }

    /** The answer's first output, FP32 [N, K], as N rows (typed contents or raw little-endian bytes). */
    public static float[][] logits(ModelInferResponse response) {
        ModelInferResponse.InferOutputTensor out = response.getOutputs(0);
        int n = (int) out.getShape(0);
        int k = (int) out.getShape(1);
        float[] flat = new float[n * k];
        if (response.getRawOutputContentsCount() > 0) {
            FloatBuffer raw = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer();
            raw.get(flat);
        } else {
            for (int i = 0; i < flat.length; i++) {
                flat[i] = out.getContents().getFp32Contents(i);
            }
        }
        float[][] rows = new float[n][k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * k, rows[i], 0, k);
        }
        return rows;
    }
}
