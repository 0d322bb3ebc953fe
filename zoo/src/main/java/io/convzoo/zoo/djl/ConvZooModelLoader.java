package io.convzoo.zoo.djl;

import ai.djl.Application;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Progress;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.arch.ClassifierNetwork;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.infer.Inference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Loads one zoo variant through DJL's {@code Criteria}: checks the filters against the variant's
 * properties, builds the block from the arguments, then either loads installed pretrained weights
 * ({@code pretrained=true}, the default) or initializes it as the official code does
 * ({@code pretrained=false}: Kaiming normal, fan-out, for weights), and prepares it for inference
 * ({@code prepare=true}, the default).
 */
public class ConvZooModelLoader implements ModelLoader {

    /** Argument: load installed weights (default true) or start untrained. */
    public static final String PRETRAINED = "pretrained";

    /**
     * Argument: run {@link Inference#prepare} on the loaded model (default true), so that predictors
     * get the folded, faster eval forward; {@code false} keeps the plain conv + BatchNorm path.
     * Training through the model is unaffected either way.
     */
    public static final String PREPARE = "prepare";

    /**
     * Argument: with {@link #PREPARE}, run eval forwards as one TorchScript module written from the
     * model's blocks (default true; made at the first eval forward and checked against it, see
     * {@link Inference#prepare(Block, boolean)}); {@code false} runs the prepared model block by block.
     */
    public static final String SCRIPT = "script";

    /**
     * Argument: where a prepared model's eval forwards run on CPU: {@code libtorch}, {@code onnxruntime}
     * (the model's ONNX form through ONNX Runtime; a model without one stays on libtorch, and a
     * dynamic-convolution model, whose form is written per batch size, runs its first two input shapes
     * on ONNX Runtime and others on libtorch) or {@code auto} (the default: ONNX Runtime where the model has an ONNX form and runs on
     * the CPU). The model's property {@code runtime} says which one it got. With {@code script=false}
     * nothing is compiled: the prepared model runs block by block on libtorch.
     */
    public static final String RUNTIME = "runtime";

    /** The runtime a prepared model gets when the criteria name none. */
    public static final Inference.Runtime DEFAULT_RUNTIME = Inference.Runtime.AUTO;

    private final ModelSpec spec;
    private final MRL mrl;

    public ConvZooModelLoader(ModelSpec spec, Repository repository) {
        this.spec = spec;
        this.mrl = MRL.model(repository, Application.CV.IMAGE_CLASSIFICATION, ConvZooModelZoo.GROUP_ID,
                spec.id(), "0.1.0", spec.id());
    }

    public ModelSpec getSpec() {
        return spec;
    }

    @Override
    public String getGroupId() {
        return ConvZooModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return spec.id();
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_CLASSIFICATION;
    }

    @Override
    public MRL getMrl() {
        return mrl;
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        checkFilters(criteria.getFilters());
        Map<String, Object> arguments = new LinkedHashMap<>(spec.properties());
        Map<String, Object> given = criteria.getArguments() != null ? criteria.getArguments() : Map.of();
        boolean pretrained = Boolean.parseBoolean(String.valueOf(given.getOrDefault(PRETRAINED, "true")));
        String dataset = String.valueOf(given.getOrDefault("dataset", arguments.getOrDefault("dataset", "imagenet")));
        Optional<Path> weights = pretrained ? PretrainedWeights.find(spec.id(), dataset) : Optional.empty();
        if (pretrained && weights.isEmpty()) {
            throw new WeightsNotInstalledException(PretrainedWeights.howToInstall(spec.id(), dataset));
        }
        // Weights imported for another class count (bin/convzoo import --num-classes K) say so in
        // their serving.properties; the criteria's own arguments still win.
        weights.ifPresent(dir -> arguments.putAll(PretrainedWeights.importedArguments(dir)));
        // Installed weights say which preprocessing they were trained with; the slot they are
        // installed in (the dataset argument) may be any name.
        weights.map(ModelDirectory::preprocessingOf).ifPresent(p -> arguments.put(ConvZooTranslatorFactory.PREPROCESSING, p));
        arguments.putAll(given);

        ModelArgs args = ConvZooBlockFactory.argumentsFor(spec, arguments);
        arguments.put("numClasses", args.numClasses());
        arguments.put("inputChannels", args.inputChannels());
        TranslatorFactory factory = criteria.getTranslatorFactory() != null
                ? criteria.getTranslatorFactory() : new ConvZooTranslatorFactory();
        if (!factory.isSupported(criteria.getInputClass(), criteria.getOutputClass())) {
            throw new ModelNotFoundException("ConvZoo model " + spec.id() + " translates Image -> Classifications, "
                    + "Image -> float[] (embedding), Image -> CategoryMask (segmentation) or NDList -> NDList, not " + criteria.getInputClass().getSimpleName() + " -> "
                    + criteria.getOutputClass().getSimpleName() + "; pass your own translator with optTranslator");
        }

        Device device = criteria.getDevice();
        Model model = Model.newInstance(spec.id(), device, "PyTorch");
        try {
            // Weights hold a classifier: numClasses = 0 builds it with theirs, loads, then drops it.
            boolean dropClassifier = args.numClasses() == 0 && weights.isPresent();
            Block block = spec.build(dropClassifier ? args.withNumClasses(storedClasses(weights.get())) : args);
            model.setBlock(block);
            for (Map.Entry<String, Object> e : arguments.entrySet()) {
                model.setProperty(e.getKey(), String.valueOf(e.getValue()));
            }
            if (weights.isPresent()) {
                model.load(weights.get(), spec.id());
                // Weights may be stored in float16 (shipped ones, to fit their size budget).
                StoredPrecision.toFloat32(block);
                if (dropClassifier) {
                    ((ClassifierNetwork) block).removeClassifier();
                }
            } else {
                initializeUntrained(block, model, args, spec.inputSize());
            }
            if (Boolean.parseBoolean(String.valueOf(given.getOrDefault(PREPARE, "true")))) {
                Object runtime = given.get(RUNTIME);
                Inference.prepare(block, Boolean.parseBoolean(String.valueOf(given.getOrDefault(SCRIPT, "true"))),
                        runtime == null ? DEFAULT_RUNTIME : Inference.Runtime.parse(String.valueOf(runtime)));
                model.setProperty(RUNTIME, Inference.runtimeOf(block));
            }
            Translator<I, O> translator = new InferenceTranslator<>(factory.newInstance(criteria.getInputClass(),
                    criteria.getOutputClass(), model, arguments));
            return new ZooModel<>(model, translator);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        } catch (Exception e) {
            model.close();
            throw new ModelNotFoundException("cannot create the translator of " + spec.id() + ": " + e.getMessage(), e);
        }
    }

    /** The class count of the weights in {@code dir}: an import's record, else the model's default. */
    private int storedClasses(Path dir) {
        String recorded = PretrainedWeights.importedArguments(dir).get(ModelArgs.NUM_CLASSES);
        return recorded == null ? spec.defaults().numClasses() : (int) Double.parseDouble(recorded);
    }

    /** Official-style initialization: Kaiming normal (fan-out) conv/linear weights, BN at 1/0. */
    public static void initializeUntrained(Block block, Model model, ModelArgs args, int inputSize) {
        block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
        block.initialize(model.getNDManager(), DataType.FLOAT32,
                new Shape(1, args.inputChannels(), inputSize, inputSize));
    }

    private void checkFilters(Map<String, String> filters) throws ModelNotFoundException {
        if (filters == null) {
            return;
        }
        for (Map.Entry<String, String> f : filters.entrySet()) {
            String actual = spec.properties().get(f.getKey());
            if (!f.getValue().equals(actual)) {
                throw new ModelNotFoundException("model " + spec.id() + " has " + f.getKey() + "="
                        + (actual == null ? "(none)" : actual) + ", not " + f.getValue());
            }
        }
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        String dataset = criteria.getFilters() != null && criteria.getFilters().get("dataset") != null
                ? criteria.getFilters().get("dataset") : spec.properties().getOrDefault("dataset", "imagenet");
        return PretrainedWeights.isInstalled(spec.id(), dataset);
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) throws IOException {
        if (!isDownloaded(criteria)) {
            throw new WeightsNotInstalledException("ConvZoo downloads nothing: "
                    + PretrainedWeights.howToInstall(spec.id(), spec.properties().getOrDefault("dataset", "imagenet")));
        }
    }

    @Override
    public String toString() {
        return ConvZooModelZoo.GROUP_ID + ":" + spec.id() + " " + spec.properties();
    }
}
