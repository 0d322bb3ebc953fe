package io.convzoo.serving.http;

import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code GET /models} and {@code GET /models/{model}}, on both the inference and management listeners. */
final class ModelsHandler {

    private final InferenceService service;

    ModelsHandler(InferenceService service) {
        this.service = service;
    }

    int list(HttpCall call) {
        List<ModelDescription> models = new ArrayList<>();
        for (ModelEndpoint e : service.models()) {
            models.add(ModelDescription.of(e, false));
        }
        return call.sendJson(200, Map.of("models", models));
    }

    int describe(HttpCall call) {
        return call.sendJson(200, ModelDescription.of(service.model(call.path("model")), true));
    }
}
