package io.convzoo.serving.http;

import com.google.gson.JsonElement;
import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * KServe v2 REST: {@code POST /v2/models/{model}/infer} (FP32 tensors of shape [N, C, H, W] → logits
 * [N, K], each item through the model's batching queue), {@code GET /v2/models/{model}} and the
 * health endpoints.
 */
final class KServeV2Handler {

    /** Items one request may carry. */
    static final int MAX_ITEMS = 256;
    private static final String REQUEST = "a KServe v2 inference request {\"inputs\": [{\"name\", \"shape\", "
            + "\"datatype\": \"FP32\", \"data\"}]}";

    private final InferenceService service;
    private final java.util.function.BooleanSupplier closing;

    KServeV2Handler(InferenceService service, java.util.function.BooleanSupplier closing) {
        this.service = service;
        this.closing = closing;
    }

    int live(HttpCall call) {
        return call.sendJson(200, new KServeV2.Live(true));
    }

    int ready(HttpCall call) {
        boolean ok = !closing.getAsBoolean() && !service.isClosed();
        return call.sendJson(ok ? 200 : 503, new KServeV2.Ready(ok));
    }

    int metadata(HttpCall call) {
        ServedModel info = service.model(call.path("model")).info();
        long[] item = info.inputShape();
        return call.sendJson(200, new KServeV2.ModelMetadata(info.name(), List.of("1"), "djl_pytorch",
                List.of(new KServeV2.TensorMetadata("input0", "FP32", List.of(-1L, item[0], item[1], item[2]))),
                List.of(new KServeV2.TensorMetadata("logits", "FP32", List.of(-1L, (long) info.numClasses())))));
    }

    int infer(HttpCall call) {
        String name = call.path("model");
        ServedModel info = service.model(name).info();
        long[] item = info.inputShape();
        String expected = "[N, " + item[0] + ", " + item[1] + ", " + item[2] + "]";
        KServeV2.InferRequest request = call.jsonBody(KServeV2.InferRequest.class, REQUEST);
        if (request.inputs() == null || request.inputs().isEmpty() || request.inputs().get(0) == null) {
            throw new BadInputException("the body needs " + REQUEST.substring(REQUEST.indexOf('{')));
        }
        if (request.inputs().size() > 1) {
            throw new BadInputException("this model takes one input tensor, got " + request.inputs().size());
        }
        KServeV2.InputTensor input = request.inputs().get(0);
        String tensor = input.name() != null ? input.name() : "input0";
        if (!"FP32".equals(input.datatype())) {
            throw new BadInputException("input '" + tensor + "' has datatype '" + (input.datatype() == null ? ""
                    : input.datatype()) + "'; this model takes FP32 of shape " + expected);
        }
        if (input.shape() == null || input.shape().contains(null)) {
            throw new BadInputException("input '" + tensor + "' needs \"shape\", e.g. " + expected);
        }
        long[] shape = input.shape().stream().mapToLong(Long::longValue).toArray();
        if (shape.length != 4 || shape[1] != item[0] || shape[2] != item[1] || shape[3] != item[2] || shape[0] < 1) {
            throw new BadInputException("input '" + tensor + "' has shape " + Arrays.toString(shape)
                    + "; model '" + name + "' expects " + expected);
        }
        if (shape[0] > MAX_ITEMS) {
            throw new BadInputException("at most " + MAX_ITEMS + " items per request, got N=" + shape[0]);
        }
        float[] data = flatFloats(input.data(), tensor);
        long perItem = info.itemElements();
        if (data.length != shape[0] * perItem) {
            throw new BadInputException("input '" + tensor + "' of shape " + Arrays.toString(shape) + " needs "
                    + shape[0] * perItem + " values, got " + data.length);
        }
        int n = (int) shape[0];
        List<CompletableFuture<float[]>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(service.infer(name, Arrays.copyOfRange(data, (int) (i * perItem), (int) ((i + 1) * perItem))));
        }
        int k = info.numClasses();
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(InferenceService.await(futures.get(i)), 0, out, i * k, k);
        }
        return call.sendJson(200, new KServeV2.InferResponse(name, request.id(),
                List.of(new KServeV2.OutputTensor("logits", List.of(n, k), "FP32", out))));
    }

    /** The tensor's data, flat or nested row-major (both are allowed by KServe v2). */
    private static float[] flatFloats(JsonElement data, String name) {
        if (data == null || !data.isJsonArray()) {
            throw new BadInputException("input '" + name + "' needs \"data\": an array of numbers");
        }
        List<JsonElement> flat = new ArrayList<>();
        flatten(data, flat, name, 0);
        float[] out = new float[flat.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = flat.get(i);
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw new BadInputException("input '" + name + "' data must be numbers, found " + v);
            }
            out[i] = v.getAsFloat();
        }
        return out;
    }

    private static void flatten(JsonElement e, List<JsonElement> out, String name, int depth) {
        if (depth > 8) {
            throw new BadInputException("input '" + name + "' data is nested too deeply");
        }
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out, name, depth + 1);
            }
        } else {
            out.add(e);
        }
    }
}
