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
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thread-safe inference over zoo models that any Java service can hold: per model a pool of DJL
 * predictors (one per worker), dynamic batching, a bounded queue with back-pressure, per-request
 * timeouts and a graceful {@link #close()} that finishes in-flight work. Models can also be
 * registered, rescaled and unregistered while serving ({@link #register}, {@link #scale},
 * {@link #unregister}); nothing of that is persisted.
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

    /** A served model: its endpoint, how to make runners for another endpoint, and what to free last. */
    private record Slot(ModelEndpoint endpoint, Supplier<BatchRunner> runners, List<AutoCloseable> resources,
                        ImagePreprocessor preprocessor) {}

    /** Copy-on-write under {@link #changes}: requests read it without a lock. */
    private volatile Map<String, Slot> slots;
    private final ServingMetrics metrics;
    private final ServingConfig defaultConfig;
    private final ReentrantLock changes = new ReentrantLock();
    private volatile boolean closed;

    private InferenceService(Map<String, Slot> slots, ServingMetrics metrics, ServingConfig defaultConfig) {
        this.slots = new LinkedHashMap<>(slots);
        this.metrics = metrics;
        this.defaultConfig = defaultConfig;
        for (Slot s : slots.values()) {
            metrics.bindQueue(s.endpoint().info().name(), s.endpoint(), ModelEndpoint::queueDepth);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The served models, in the order they were added. */
    public Collection<ModelEndpoint> models() {
        return slots.values().stream().map(Slot::endpoint).toList();
    }

    /** The endpoint of a served model. */
    public ModelEndpoint model(String name) {
        return slot(name).endpoint();
    }

    private Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) {
            throw new ModelNotServedException(name, slots.keySet());
        }
        return s;
    }

    public ServingMetrics metrics() {
        return metrics;
    }

    /** The batching and queue settings models registered at run time get unless they ask otherwise. */
    public ServingConfig defaultConfig() {
        return defaultConfig;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Preprocesses an encoded image for a model (per-call native memory); throws BadInputException. */
    public float[] preprocess(String name, byte[] encodedImage) {
        return slot(name).preprocessor().toInput(encodedImage);
    }

    /**
     * Queues one raw item (C×H×W floats); the future gives the model's output row (logits). A request
     * that meets an endpoint being replaced by {@link #scale} goes to its successor.
     */
    public CompletableFuture<float[]> infer(String name, float[] item) {
        ModelEndpoint e = model(name);
        try {
            return e.submit(item);
        } catch (ServiceClosedException closing) {
            ModelEndpoint now = closed ? e : model(name);
            if (now == e) {
                throw closing;
            }
            return now.submit(item);
        }
    }

    /** Decodes, batches and runs an image; the future gives the top-k classes. */
    public CompletableFuture<List<Prediction>> classifyAsync(String name, byte[] encodedImage, int topK) {
        if (topK < 1) {
            throw new BadInputException("topk must be >= 1, got " + topK);
        }
        List<String> classes = model(name).info().classNames();
        float[] input = preprocess(name, encodedImage);
        return infer(name, input).thenApply(logits -> Prediction.topK(logits, classes, topK));
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

    /**
     * Loads and serves a model while serving: {@code source} is a zoo id or a model directory (a
     * {@code convzoo import} output or a {@code convzoo finetune} run), served as {@code name} (null:
     * the id, or the directory's name) with {@code config} (null: {@link #defaultConfig()}).
     *
     * @throws ModelAlreadyServedException a model of that name is served
     * @throws BadInputException the source is neither a zoo id nor a model directory
     * @throws IOException the model failed to load
     */
    public ModelEndpoint register(String source, String name, ServingConfig config, boolean allowUntrained)
            throws IOException {
        changes.lock();
        try {
            if (closed) {
                throw new ServiceClosedException(name == null ? source : name);
            }
            String served = name != null ? name : Builder.defaultName(source);
            if (slots.containsKey(served)) {
                throw new ModelAlreadyServedException(served);
            }
            Builder b = new Builder().config(config != null ? config : defaultConfig).metrics(metrics);
            b.load(source, served, allowUntrained);
            Slot slot = b.slots.get(served);
            Map<String, Slot> next = new LinkedHashMap<>(slots);
            next.put(served, slot);
            metrics.bindQueue(served, slot.endpoint(), ModelEndpoint::queueDepth);
            slots = next;
            LOG.info("registered {} from {} ({})", served, source, slot.endpoint().config());
            return slot.endpoint();
        } finally {
            changes.unlock();
        }
    }

    /**
     * Stops serving a model: it takes no new requests, finishes those queued and running, then frees
     * its predictors and weights.
     */
    public void unregister(String name) {
        Slot slot;
        changes.lock();
        try {
            slot = slot(name);
            Map<String, Slot> next = new LinkedHashMap<>(slots);
            next.remove(name);
            slots = next;
            metrics.unbindQueue(name);
        } finally {
            changes.unlock();
        }
        slot.endpoint().close();
        closeAll(slot.resources());
        LOG.info("unregistered {}", name);
    }

    /**
     * Serves a model with other workers or batch settings: a new endpoint with its own predictors
     * takes new requests at once, the old one finishes what it holds and closes. The weights stay
     * loaded.
     */
    public ModelEndpoint scale(String name, ServingConfig config) {
        Slot old;
        Slot next;
        changes.lock();
        try {
            old = slot(name);
            ModelEndpoint endpoint = new ModelEndpoint(old.endpoint().info(), config, metrics, old.runners(),
                    old.endpoint().runtimeSource());
            next = new Slot(endpoint, old.runners(), old.resources(), old.preprocessor());
            Map<String, Slot> map = new LinkedHashMap<>(slots);
            map.put(name, next);
            slots = map;
            metrics.bindQueue(name, endpoint, ModelEndpoint::queueDepth);
        } finally {
            changes.unlock();
        }
        old.endpoint().close();
        LOG.info("scaled {}: {}", name, config);
        return next.endpoint();
    }

    /** Refuses new requests on every model at once (the first step of a graceful shutdown). */
    public void stopAccepting() {
        closed = true;
        slots.values().forEach(s -> s.endpoint().stopAccepting());
    }

    /** Refuses new requests, finishes every queued and running one, then frees predictors and models. */
    @Override
    public void close() {
        changes.lock();
        try {
            stopAccepting();
            slots.values().forEach(s -> s.endpoint().close());
            slots.values().forEach(s -> closeAll(s.resources()));
        } finally {
            changes.unlock();
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
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
        private final Map<String, Slot> slots = new LinkedHashMap<>();

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
            return add(model, runners, List.of());
        }

        private Builder add(ServedModel model, Supplier<BatchRunner> runners, List<AutoCloseable> resources) {
            return add(model, runners, resources, null);
        }

        private Builder add(ServedModel model, Supplier<BatchRunner> runners, List<AutoCloseable> resources,
                            Supplier<String> runtime) {
            if (slots.containsKey(model.name())) {
                throw new IllegalArgumentException("model '" + model.name() + "' is added twice");
            }
            slots.put(model.name(), new Slot(new ModelEndpoint(model, config, metrics, runners, runtime), runners,
                    resources, new ImagePreprocessor(Datasets.of(model.dataset()))));
            return this;
        }

        /** The name a source is served under by default: a zoo id itself, a directory its folder name. */
        static String defaultName(String source) {
            Path p = Path.of(source);
            return Files.isDirectory(p) ? p.toAbsolutePath().normalize().getFileName().toString() : source;
        }

        /** Loads a zoo id or a model directory as {@code name}; anything else is a BadInputException. */
        void load(String source, String name, boolean allowUntrained) throws IOException {
            if (Files.isDirectory(Path.of(source))) {
                addModelDirectory(Path.of(source), name);
            } else if (ModelRegistry.find(source).isPresent()) {
                addZooModel(source, name, allowUntrained);
            } else {
                throw new BadInputException("'" + source + "' is neither a zoo model id (see GET /models or "
                        + "'convzoo models') nor a model directory on the server");
            }
        }

        /**
         * Loads a zoo model with its installed weights. Without weights, a Fashion-MNIST model (the
         * bundled {@code _small} ones) or any model when {@code allowUntrained} is served untrained,
         * with a loud warning; an ImageNet model without weights otherwise fails with the install
         * instructions.
         */
        public Builder addZooModel(String id, boolean allowUntrained) throws IOException {
            return addZooModel(id, id, allowUntrained);
        }

        private Builder addZooModel(String id, String name, boolean allowUntrained) throws IOException {
            ModelSpec spec = ModelRegistry.get(id);
            String dataset = spec.properties().getOrDefault("dataset", Datasets.IMAGENET);
            Optional<Path> weights = PretrainedWeights.find(id, dataset);
            boolean untrained = weights.isEmpty();
            if (untrained && !allowUntrained && !Datasets.FASHION_MNIST.equals(dataset)) {
                throw new WeightsNotInstalledException(PretrainedWeights.howToInstall(id, dataset));
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
            return serve(name, spec, dataset, new long[] {spec.defaults().inputChannels(), spec.inputSize(),
                    spec.inputSize()}, criteria, weights, spec.defaults().numClasses(),
                    untrained ? ServedModel.WEIGHTS_UNTRAINED : ServedModel.WEIGHTS_INSTALLED);
        }

        /**
         * Loads a model directory (written by {@code convzoo import} or {@code convzoo finetune}: its
         * serving.properties names the zoo model, classes, channels and preprocessing; synset.txt its
         * labels), served under the directory's name.
         */
        public Builder addModelDirectory(Path dir) throws IOException {
            return addModelDirectory(dir, defaultName(dir.toString()));
        }

        private Builder addModelDirectory(Path dir, String name) throws IOException {
            io.convzoo.zoo.djl.ModelDirectory model = io.convzoo.zoo.djl.ModelDirectory.read(dir);
            ModelSpec spec = model.spec();
            String dataset = model.dataset();
            int numClasses = model.numClasses();
            int channels = model.inputChannels();
            Criteria<NDList, NDList> criteria = io.convzoo.zoo.djl.ModelDirectory.criteria(dir, NDList.class, NDList.class)
                    .optEngine("PyTorch").build();
            int side = Datasets.of(dataset).cropSize();
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
            ModelStats.Entry stats = ModelStats.of(spec);
            ServedModel info = new ServedModel(name, spec.family(), dataset, inputShape,
                    classNames(weights, Datasets.of(dataset), numClasses), stats.params(), stats.macs(), state,
                    withAccuracy(spec.properties(), weights));
            return add(info, () -> new DjlBatchRunner(zooModel), List.of(zooModel),
                    () -> io.convzoo.zoo.infer.Inference.runtimeOf(zooModel.getBlock()));
        }

        /** The zoo properties plus the weights' recorded test accuracy ({@link ServedModel#TEST_ACCURACY}). */
        private static Map<String, String> withAccuracy(Map<String, String> properties, Optional<Path> weights)
                throws IOException {
            Path file = weights.map(w -> w.resolve(io.convzoo.zoo.djl.ModelDirectory.PROPERTIES)).orElse(null);
            if (file == null || !Files.isRegularFile(file)) {
                return properties;
            }
            java.util.Properties p = new java.util.Properties();
            try (java.io.Reader in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            String accuracy = p.getProperty(ServedModel.TEST_ACCURACY);
            if (accuracy == null) {
                return properties;
            }
            Map<String, String> out = new LinkedHashMap<>(properties);
            out.put(ServedModel.TEST_ACCURACY, accuracy.strip());
            return out;
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
            new InferenceService(slots, metrics, config).close();
            slots.clear();
        }

        public InferenceService build() {
            return new InferenceService(slots, metrics, config);
        }
    }
}
