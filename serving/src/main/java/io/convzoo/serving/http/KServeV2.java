package io.convzoo.serving.http;

import com.google.gson.JsonElement;
import com.google.gson.annotations.SerializedName;
import java.util.List;

/** The KServe v2 (Open Inference Protocol) REST messages this server reads and writes. */
final class KServeV2 {

    private KServeV2() {
    }

    /** {@code POST /v2/models/{model}/infer} body; {@code data} flat or nested row-major. */
    record InferRequest(String id, List<InputTensor> inputs) {}

    record InputTensor(String name, List<Long> shape, String datatype, JsonElement data) {}

    record InferResponse(@SerializedName("model_name") String modelName, String id, List<OutputTensor> outputs) {}

    record OutputTensor(String name, List<Integer> shape, String datatype, float[] data) {}

    /** {@code GET /v2/models/{model}}. */
    record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
                         List<TensorMetadata> outputs) {}

    record TensorMetadata(String name, String datatype, List<Long> shape) {}

    /** {@code GET /v2/health/live} and {@code /v2/health/ready}. */
    record Live(boolean live) {}

    record Ready(boolean ready) {}
}
