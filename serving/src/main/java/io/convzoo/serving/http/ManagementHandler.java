package io.convzoo.serving.http;

import com.google.gson.annotations.SerializedName;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ModelEndpoint;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.zoo.djl.WeightsNotInstalledException;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The management API (TorchServe / DJL Serving shape) on its own listener: {@code POST /models}
 * registers a zoo id, a model directory or a fine-tune run ({@code url}), {@code PUT /models/{model}}
 * sets its workers and batching, {@code DELETE /models/{model}} unregisters it; {@code GET /models}
 * and {@code GET /models/{model}} list and describe. Parameters come as the query (as TorchServe
 * takes them) or as a JSON body with the same names. Nothing is written to disk.
 */
final class ManagementHandler {

    /** {@code POST /models}: what to load and how to serve it. */
    record RegisterRequest(String url, @SerializedName("model_name") String modelName,
                           @SerializedName("initial_workers") Integer initialWorkers,
                           @SerializedName("batch_size") Integer batchSize,
                           @SerializedName("max_batch_delay") Long maxBatchDelay) {}

    /** {@code PUT /models/{model}}: the settings to change; the others stay. */
    record ScaleRequest(@SerializedName("min_worker") Integer minWorker, Integer workers,
                        @SerializedName("batch_size") Integer batchSize,
                        @SerializedName("max_batch_delay") Long maxBatchDelay) {}

    record Status(String status, ModelDescription model) {}

    private static final Set<String> REGISTER_PARAMS =
            Set.of("url", "model_name", "initial_workers", "batch_size", "max_batch_delay");
    private static final Set<String> SCALE_PARAMS = Set.of("min_worker", "workers", "batch_size", "max_batch_delay");

    private final InferenceService service;
    private final boolean allowUntrained;

    ManagementHandler(InferenceService service, boolean allowUntrained) {
        this.service = service;
        this.allowUntrained = allowUntrained;
    }

    int register(HttpCall call) {
        call.allowQuery(REGISTER_PARAMS);
        Map<String, String> q = call.query();
        RegisterRequest r = q.isEmpty() ? call.jsonBody(RegisterRequest.class, "a registration {\"url\": "
                + "\"<zoo id | model directory>\", \"model_name\", \"initial_workers\", \"batch_size\", "
                + "\"max_batch_delay\"}")
                : new RegisterRequest(q.get("url"), q.get("model_name"), intParam(q, "initial_workers"),
                        intParam(q, "batch_size"), longParam(q, "max_batch_delay"));
        if (r.url() == null || r.url().isBlank()) {
            throw new HttpError(400, "BadInput", "'url' is required: a zoo model id or a model directory on the server");
        }
        ServingConfig base = service.defaultConfig();
        ServingConfig config = config(base, r.initialWorkers(), r.batchSize(), r.maxBatchDelay());
        ModelEndpoint e;
        try {
            e = service.register(r.url().strip(), blankToNull(r.modelName()), config, allowUntrained);
        } catch (WeightsNotInstalledException ex) {
            throw new HttpError(400, "WeightsNotInstalled", ex.getMessage().replace(PretrainedWeights.UNTRAINED_IN_JAVA,
                    "start the server with --untrained to register it untrained"));
        } catch (IOException | IllegalArgumentException ex) { // not a model directory, unreadable weights
            throw new HttpError(400, "ModelLoadFailed", "cannot load '" + r.url() + "': " + ex.getMessage());
        }
        return call.sendJson(201, new Status("model '" + e.info().name() + "' registered with "
                + e.config().workers() + " workers", ModelDescription.of(e, true)));
    }

    int scale(HttpCall call) {
        call.allowQuery(SCALE_PARAMS);
        Map<String, String> q = call.query();
        String name = call.path("model");
        ModelEndpoint current = service.model(name);
        ScaleRequest r = q.isEmpty() ? call.jsonBody(ScaleRequest.class, "a scale request {\"min_worker\", "
                + "\"batch_size\", \"max_batch_delay\"}")
                : new ScaleRequest(intParam(q, "min_worker"), intParam(q, "workers"), intParam(q, "batch_size"),
                        longParam(q, "max_batch_delay"));
        Integer workers = r.minWorker() != null ? r.minWorker() : r.workers();
        if (workers == null && r.batchSize() == null && r.maxBatchDelay() == null) {
            throw new HttpError(400, "BadInput", "nothing to change: give min_worker (or workers), batch_size or "
                    + "max_batch_delay");
        }
        ServingConfig config = config(current.config(), workers, r.batchSize(), r.maxBatchDelay());
        ModelEndpoint e = service.scale(name, config);
        return call.sendJson(200, new Status("model '" + name + "' now runs " + config.workers() + " workers",
                ModelDescription.of(e, true)));
    }

    int unregister(HttpCall call) {
        String name = call.path("model");
        service.unregister(name);
        return call.sendJson(200, Map.of("status", "model '" + name + "' unregistered"));
    }

    private static ServingConfig config(ServingConfig base, Integer workers, Integer batchSize, Long maxBatchDelay) {
        try {
            ServingConfig c = base;
            if (workers != null) {
                c = c.withWorkers(workers);
            }
            if (batchSize != null) {
                c = c.withBatchSize(batchSize);
            }
            if (maxBatchDelay != null) {
                c = c.withMaxBatchDelayMs(maxBatchDelay);
            }
            return c;
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "BadInput", e.getMessage());
        }
    }

    private static Integer intParam(Map<String, String> q, String name) {
        Long v = longParam(q, name);
        if (v != null && (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE)) {
            throw new HttpError(400, "BadInput", name + " is out of range: " + v);
        }
        return v == null ? null : v.intValue();
    }

    private static Long longParam(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new HttpError(400, "BadInput", name + " must be an integer, got '" + v + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** On the inference listener: the management verbs say where the management API is, or that it is off. */
    static Router.Handler elsewhere(Integer managementPort) {
        return call -> {
            throw managementPort == null
                    ? new HttpError(404, "ManagementDisabled", "the management API is off; start the server with "
                            + "--enable-management (convzoo serve) to register, scale or unregister models")
                    : new HttpError(404, "NotFound", "the management API is served on port " + managementPort
                            + ", not on the inference port");
        };
    }
}
