package io.convzoo.serving.http;

import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.Prediction;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /predictions/{model}[?topk=K]}: a raw image body or a multipart {@code data} part →
 * the top K classes, most probable first. {@code top} (the CLI's name) is accepted as well as
 * {@code topk}.
 */
final class PredictionHandler {

    static final int DEFAULT_TOP_K = 5;
    private static final Set<String> TOP_K_NAMES = Set.of("topk", "topK", "top");

    private final InferenceService service;

    PredictionHandler(InferenceService service) {
        this.service = service;
    }

    int predict(HttpCall call) {
        String name = call.path("model");
        ModelEndpoint endpoint = service.model(name); // 404 before reading a body for nothing
        int topK = topK(call.query(), endpoint.info().numClasses());
        byte[] body = call.body();
        String contentType = call.exchange.getRequestHeaders().getFirst("Content-Type");
        byte[] image = MultipartBody.isMultipart(contentType) ? MultipartBody.imagePart(body, contentType) : body;
        List<Prediction> top = service.classify(name, image, topK);
        return call.sendJson(200, top);
    }

    /** {@code topk} (or {@code top}): 1 or more, capped at the number of classes; default 5. */
    static int topK(Map<String, String> query, int numClasses) {
        int k = DEFAULT_TOP_K;
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (TOP_K_NAMES.contains(e.getKey())) {
                String value = e.getValue();
                try {
                    k = Integer.parseInt(value.trim());
                } catch (NumberFormatException ex) {
                    throw new BadInputException(e.getKey() + " must be a positive integer, got '" + value + "'");
                }
                if (k < 1) {
                    throw new BadInputException(e.getKey() + " must be a positive integer, got " + k);
                }
            }
        }
        return Math.min(k, numClasses);
    }
}
