package io.convzoo.serving.http;

import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.ServedModel;
import io.convzoo.serving.api.ServingConfig;
import java.util.List;
import java.util.Map;

/**
 * A served model as {@code GET /models} lists it and {@code GET /models/{model}} describes it (the
 * batch settings, class names and runtime only in the detail; Gson leaves null fields out).
 */
record ModelDescription(String modelName, String id, String family, String dataset, long params, long macs,
                        String weights, String warning, Double accuracy, List<Long> inputShape, int numClasses,
                        List<String> classNames, Map<String, String> properties, Integer workers, Integer batchSize,
                        Long maxBatchDelayMs, Integer queueCapacity, Long timeoutMs, Integer queueDepth, String runtime) {

    static final String UNTRAINED_WARNING =
            "no trained weights installed: this model is randomly initialized and its answers are meaningless";

    static ModelDescription of(ModelEndpoint e, boolean detail) {
        ServedModel info = e.info();
        long[] item = info.inputShape();
        ServingConfig c = e.config();
        String accuracy = info.properties().get(ServedModel.TEST_ACCURACY);
        return new ModelDescription(info.name(), info.name(), info.family(), info.dataset(), info.params(), info.macs(),
                info.weights(), info.untrained() ? UNTRAINED_WARNING : null,
                accuracy == null ? null : Double.valueOf(accuracy), List.of(1L, item[0], item[1], item[2]),
                info.numClasses(),
                detail ? info.classNames() : null, detail ? info.properties() : null,
                detail ? c.workers() : null, detail ? c.batchSize() : null, detail ? c.maxBatchDelayMs() : null,
                detail ? c.queueCapacity() : null, detail ? c.timeoutMs() : null, detail ? e.queueDepth() : null,
                detail ? e.runtime() : null);
    }
}
