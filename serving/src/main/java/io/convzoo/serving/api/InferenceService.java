package io.convzoo.serving.api;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.ModelStats;
import io.convzoo.zoo.djl.ConvZooModelLoader;
import io.convzoo.zoo.djl.ConvZooModelZoo;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.zoo.djl.WeightsNotInstalledException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thread-safe inference over zoo models that any Java service can hold: per model a pool of DJL
 * predictors (one per worker), dynamic batching, a bounded queue with back-pressure, per-request
 * timeouts and a graceful {@link #close()} that finishes in-flight work.
 *
 * <pre>{@code
 * try (InferenceService service = InferenceService.builder()
 *         .config(ServingConfig.defaults().withBatchSize(16))
 *         .addZooModel("res2net_small", false)
 *         .build()) {
 *     List<Prediction> top5 = service.classify("res2net_small", pngBytes, 5);
 * }
 * }</pre>
 */
public final class InferenceService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);

    private final Map<String, ModelEndpoint> endpoints;
    private final Map<String, ImagePreprocessor> preprocessors = new LinkedHashMap<>();
    private final List<AutoCloseable> resources;
    private final ServingMetrics metrics;
    private volatile boolean closed;

    private InferenceService(Map<String, ModelEndpoint> endpoints, List<AutoCloseable> resources, ServingMetrics metrics) {
        this.endpoints = endpoints;
        this.resources = resources;
        this.metrics = metrics;
        for (ModelEndpoint e : endpoints.values()) {
            preprocessors.put(e.info().name(), new ImagePreprocessor(Datasets.of(e.info().dataset())));
        }
        metrics.bindQueues(endpoints.keySet(), m -> {
            ModelEndpoint e = endpoints.get(m);
            return e == null ? 0 : e.queueDepth();
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The served models, in the order they were added. */
    public Collection<ModelEndpoint> models() {
        return endpoints.values();
    }

    /** The endpoint of a served model. */
    public ModelEndpoint model(String name) {
        ModelEndpoint e = endpoints.get(name);
        if (e == null) {
            throw new ModelNotServedException(name, endpoints.keySet());
        }
        return e;
    }

    public ServingMetrics metrics() {
        return metrics;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Preprocesses an encoded image for a model (per-call native memory); throws BadInputException. */
    public float[] preprocess(String name, byte[] encodedImage) {
        model(name);
        return preprocessors.get(name).toInput(encodedImage);
    }

    /** Queues one raw item (C×H×W floats); the future gives the model's output row (logits). */
    public CompletableFuture<float[]> infer(String name, float[] item) {
        return model(name).submit(item);
    }

    /** Decodes, batches and runs an image; the future gives the top-k classes. */
    public CompletableFuture<List<Prediction>> classifyAsync(String name, byte[] encodedImage, int topK) {
        if (topK < 1) {
            throw new BadInputException("topk must be >= 1, got " + topK);
        }
        ModelEndpoint e = model(name);
        float[] input = preprocess(name, encodedImage);
        return e.submit(input).thenApply(logits -> Prediction.topK(logits, e.info().classNames(), topK));
    }

    /** Blocking {@link #classifyAsync}; failures come out as the {@link ServingException} subclasses. */
    public List<Prediction> classify(String name, byte[] encodedImage, int topK) {
        return await(classifyAsync(name, encodedImage, topK));
    }

    /** Waits for a future of this service, unwrapping its {@link ServingException}. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServingException(503, "interrupted while waiting for the model", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof ServingException s) {
                throw s;
            }
            throw new ServingException(500, "inference failed: " + cause, cause);
        }
    }

    /** Refuses new requests on every model at once (the first step of a graceful shutdown). */
    public void stopAccepting() {
        closed = true;
        endpoints.values().forEach(ModelEndpoint::stopAccepting);
    }

    /** Refuses new requests, finishes every queued and running one, then frees predictors and models. */
    @Override
    public void close() {
        stopAccepting();
        endpoints.values().forEach(ModelEndpoint::close);
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", r, e.toString());
            }
        }
    }

    /** Builds a service; models load when added, each with the config current at that time. */
    public static final class Builder {

        private ServingConfig config = ServingConfig.defaults();
        private ServingMetrics metrics = new ServingMetrics();
        private final Map<String, ModelEndpoint> endpoints = new LinkedHashMap<>();
        private final List<AutoCloseable> resources = new ArrayList<>();

        public Builder config(ServingConfig c) {
            this.config = c;
            return this;
        }

        public Builder metrics(ServingMetrics m) {
            this.metrics = m;
            return this;
        }

        /** Serves a model through any runner factory (one runner per worker): tests, other engines. */
        public Builder add(ServedModel model, Supplier<BatchRunner> runners) {
            if (endpoints.containsKey(model.name())) {
                throw new IllegalArgumentException("model '" + model.name() + "' is added twice");
            }
            endpoints.put(model.name(), new ModelEndpoint(model, config, metrics, runners));
            return this;
        }

        /**
         * Loads a zoo model with its installed weights. Without weights, a Fashion-MNIST model (the
         * bundled {@code _small} ones) or any model when {@code allowUntrained} is served untrained,
         * with a loud warning; an ImageNet model without weights otherwise fails with the install
         * instructions.
         */
        public Builder addZooModel(String id, boolean allowUntrained) throws IOException {
            ModelSpec spec = ModelRegistry.get(id);
            String dataset = spec.properties().getOrDefault("dataset", Datasets.IMAGENET);
            Optional<Path> weights = PretrainedWeights.find(id, dataset);
            boolean untrained = weights.isEmpty();
            if (untrained && !allowUntrained && !Datasets.FASHION_MNIST.equals(dataset)) {
                throw new WeightsNotInstalledException(PretrainedWeights.howToInstall(id, dataset)
                        + " Or serve it untrained with --untrained.");
            }
            if (untrained) {
                LOG.warn("*** {} has NO trained weights ({}): serving it UNTRAINED, its answers are random. {}",
                        id, dataset, "Install weights to get real predictions (see docs/serving.md).");
            }
            Criteria<NDList, NDList> criteria = Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optGroupId(ConvZooModelZoo.GROUP_ID)
                    .optArtifactId(id)
                    .optEngine("PyTorch")
                    .optArgument(ConvZooModelLoader.PRETRAINED, !untrained)
                    .build();
            return serve(id, spec, dataset, new long[] {spec.defaults().inputChannels(), spec.inputSize(),
                    spec.inputSize()}, criteria, weights, spec.defaults().numClasses(),
                    untrained ? ServedModel.WEIGHTS_UNTRAINED : ServedModel.WEIGHTS_INSTALLED);
        }

        /**
         * Loads a model directory (written by {@code convzoo import} or {@code convzoo finetune}: its
         * serving.properties names the zoo model, classes, channels and preprocessing; synset.txt its
         * labels), served under the directory's name.
         */
        public Builder addModelDirectory(Path dir) throws IOException {
            io.convzoo.zoo.djl.ModelDirectory model = io.convzoo.zoo.djl.ModelDirectory.read(dir);
            ModelSpec spec = model.spec();
            String dataset = model.dataset();
            int numClasses = model.numClasses();
            int channels = model.inputChannels();
            Criteria<NDList, NDList> criteria = io.convzoo.zoo.djl.ModelDirectory.criteria(dir, NDList.class, NDList.class)
                    .optEngine("PyTorch").build();
            int side = Datasets.of(dataset).cropSize();
            String name = dir.toAbsolutePath().normalize().getFileName().toString();
            return serve(name, spec, dataset, new long[] {channels, side, side}, criteria, Optional.of(dir), numClasses,
                    ServedModel.WEIGHTS_INSTALLED);
        }

        /** Loads {@code criteria} and serves it as {@code name}, one DJL predictor per worker. */
        private Builder serve(String name, ModelSpec spec, String dataset, long[] inputShape,
                              Criteria<NDList, NDList> criteria, Optional<Path> weights, int numClasses, String state)
                throws IOException {
            ZooModel<NDList, NDList> zooModel;
            try {
                zooModel = criteria.loadModel();
            } catch (ModelNotFoundException | MalformedModelException e) {
                throw new IOException("cannot load " + name + ": " + e.getMessage(), e);
            }
            resources.add(zooModel);
            ModelStats.Entry stats = ModelStats.of(spec);
            ServedModel info = new ServedModel(name, spec.family(), dataset, inputShape,
                    classNames(weights, Datasets.of(dataset), numClasses), stats.params(), stats.macs(), state,
                    spec.properties());
            return add(info, () -> new DjlBatchRunner(zooModel));
        }

        private static List<String> classNames(Optional<Path> weights, Datasets data, int numClasses) throws IOException {
            if (weights.isPresent() && Files.isRegularFile(weights.get().resolve("synset.txt"))) {
                List<String> names = Files.readAllLines(weights.get().resolve("synset.txt")).stream()
                        .map(String::strip).filter(s -> !s.isEmpty()).toList();
                if (names.size() == numClasses) {
                    return names;
                }
            }
            return data.classNamesFor(numClasses);
        }

        /** Stops and frees every model added so far (when a later one failed to load). */
        public void discard() {
            new InferenceService(new LinkedHashMap<>(endpoints), new ArrayList<>(resources), metrics).close();
            endpoints.clear();
            resources.clear();
        }

        public InferenceService build() {
            return new InferenceService(new LinkedHashMap<>(endpoints), new ArrayList<>(resources), metrics);
        }
    }
}
