package io.convzoo.zoo.train;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.arch.dyconv.DyResNet;
import io.convzoo.zoo.djl.StoredPrecision;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The output directory of {@code convzoo finetune}: {@code finetune.json} (model id, classes,
 * input channels, class names, the preprocessing), {@code model.params} (the final parameters) and
 * {@code model-best.params} (those of the best validation epoch). Loads it back as a model, and
 * exports it as a model directory ({@code <id>-0000.params}, {@code synset.txt},
 * {@code serving.properties}) that DJL's {@code Criteria.optModelUrls} loads and that the zoo's
 * pretrained lookup reads under {@code <root>/<id>/<dataset>/} or inside the jar under
 * {@code io/convzoo/weights/<id>/<dataset>/}. {@link #makeModelDirectory} writes it into the run
 * directory itself, so the run is a model for predict, eval, export and serve.
 */
public final class FineTuneOutput {

    public static final String INFO_FILE = "finetune.json";
    public static final String PARAMS_FILE = "model.params";
    public static final String BEST_PARAMS_FILE = "model-best.params";

    /** Which weights of a run: the best validation epoch's, or the last epoch's. */
    public enum Weights {
        BEST, FINAL;

        /** {@code best} or {@code final}; anything else is named. */
        public static Weights parse(String name) {
            return switch (name.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "best" -> BEST;
                case "final" -> FINAL;
                default -> throw new IllegalArgumentException("--export must be best or final, got '" + name + "'");
            };
        }

        String file() {
            return this == BEST ? BEST_PARAMS_FILE : PARAMS_FILE;
        }
    }

    private FineTuneOutput() {}

    /**
     * What finetune.json records.
     *
     * @param dataset the training data: {@code fashion-mnist} or the image folder
     * @param normalization the preprocessing the model was trained with (a {@link io.convzoo.zoo.Datasets} name)
     */
    public record Info(String modelId, int numClasses, int inputChannels, String dataset, String normalization,
                       List<String> classNames) {}

    /** True when {@code dir} looks like a finetune output directory. */
    public static boolean isOutputDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(INFO_FILE)) && Files.isRegularFile(dir.resolve(PARAMS_FILE));
    }

    /** Writes finetune.json into {@code dir} (before training: what the run is a model of). */
    public static void writeInfo(Path dir, Info info) throws IOException {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("model", info.modelId());
        m.put("numClasses", info.numClasses());
        m.put("inputChannels", info.inputChannels());
        m.put("dataset", info.dataset());
        m.put("normalization", info.normalization());
        m.put("classNames", info.classNames());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(INFO_FILE), new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(m),
                StandardCharsets.UTF_8);
    }

    /** Reads finetune.json. */
    public static Info info(Path dir) throws IOException {
        JsonObject json = new Gson().fromJson(Files.readString(dir.resolve(INFO_FILE), StandardCharsets.UTF_8),
                JsonObject.class);
        List<String> names = new ArrayList<>();
        if (json.has("classNames")) {
            for (JsonElement e : json.getAsJsonArray("classNames")) {
                names.add(e.getAsString());
            }
        }
        String dataset = json.has("dataset") ? json.get("dataset").getAsString() : "";
        return new Info(json.get("model").getAsString(), json.get("numClasses").getAsInt(),
                json.get("inputChannels").getAsInt(), dataset,
                json.has("normalization") ? json.get("normalization").getAsString() : dataset, names);
    }

    /**
     * The dynamic-conv temperature the run ended with (history.json), which its weights were trained
     * for; empty for models without one. The zoo's default (the official initial 34) would not fit.
     */
    public static OptionalDouble finalTemperature(Path dir) throws IOException {
        Path history = dir.resolve("history.json");
        if (!Files.isRegularFile(history)) {
            return OptionalDouble.empty();
        }
        JsonObject json = new Gson().fromJson(Files.readString(history, StandardCharsets.UTF_8), JsonObject.class);
        if (json == null || !json.has("temperature") || json.getAsJsonArray("temperature").isEmpty()) {
            return OptionalDouble.empty();
        }
        var values = json.getAsJsonArray("temperature");
        JsonElement last = values.get(values.size() - 1);
        if (last.isJsonNull() || !last.isJsonPrimitive() || !last.getAsJsonPrimitive().isNumber()) {
            return OptionalDouble.empty();
        }
        double t = last.getAsDouble();
        return Double.isFinite(t) && t > 0 ? OptionalDouble.of(t) : OptionalDouble.empty();
    }

    /** The final model of a finetune output directory; the caller closes it. */
    public static Model load(Path dir) throws IOException {
        return load(dir, Weights.FINAL);
    }

    /** The model of a finetune output directory with the chosen weights; the caller closes it. */
    public static Model load(Path dir, Weights weights) throws IOException {
        Path params = dir.resolve(weights.file());
        if (!Files.isRegularFile(params)) {
            throw new java.io.FileNotFoundException(dir + " has no " + weights.file() + " (a finetune run that did not "
                    + "finish an epoch?)");
        }
        Info info = info(dir);
        ModelSpec spec = ModelRegistry.get(info.modelId());
        ModelArgs args = spec.defaults().withNumClasses(info.numClasses()).withInputChannels(info.inputChannels());
        OptionalDouble temperature = finalTemperature(dir);
        if (temperature.isPresent()) {
            args = args.with(DyResNet.TEMPERATURE, temperature.getAsDouble());
        }
        Model model = Model.newInstance(spec.id());
        try {
            Block block = spec.build(args);
            model.setBlock(block);
            // Initialized first so the block knows its input (Model.save records it); then overwritten.
            block.initialize(model.getNDManager(), DataType.FLOAT32,
                    new Shape(1, args.inputChannels(), spec.inputSize(), spec.inputSize()));
            try (DataInputStream in = new DataInputStream(Files.newInputStream(params))) {
                block.loadParameters(model.getNDManager(), in);
            } catch (MalformedModelException e) {
                throw new IOException(params + " does not fit " + spec.id() + ": " + e.getMessage(), e);
            }
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Writes the zoo weights directory of a finetune output to {@code target}; returns it. */
    public static Path exportZooWeights(Path dir, Path target) throws IOException {
        return exportZooWeights(dir, target, false);
    }

    /**
     * As {@link #exportZooWeights(Path, Path)}; with {@code float16} the weights are stored in half
     * precision (half the size; the zoo casts them back to float32 when it loads them).
     */
    public static Path exportZooWeights(Path dir, Path target, boolean float16) throws IOException {
        return exportZooWeights(dir, target, float16, Weights.FINAL);
    }

    /**
     * Makes the run directory {@code dir} a model directory with the chosen weights
     * ({@code <id>-0000.params}, {@code serving.properties}, {@code synset.txt} beside the run's files).
     */
    public static Path makeModelDirectory(Path dir, Weights weights) throws IOException {
        return exportZooWeights(dir, dir, false, weights);
    }

    /** As {@link #exportZooWeights(Path, Path, boolean)} with the chosen weights of the run. */
    public static Path exportZooWeights(Path dir, Path target, boolean float16, Weights weights) throws IOException {
        Info info = info(dir);
        Files.createDirectories(target);
        try (Model model = load(dir, weights)) {
            if (float16) {
                StoredPrecision.toFloat16(model.getBlock());
            }
            model.save(target, info.modelId());
        }
        if (info.classNames().size() == info.numClasses()) {
            Files.write(target.resolve("synset.txt"), info.classNames(), StandardCharsets.UTF_8);
        }
        OptionalDouble temperature = finalTemperature(dir);
        String props = "# Zoo weights exported from a convzoo finetune run (" + dir.getFileName() + ", "
                + weights.name().toLowerCase(java.util.Locale.ROOT) + " weights)\n"
                + "modelId=" + info.modelId() + "\n"
                + "dataset=" + info.normalization() + "\n"
                // What DJL's Criteria.optModelUrls needs to load the directory as a zoo model.
                + "blockFactory=" + io.convzoo.zoo.djl.ConvZooBlockFactory.class.getName() + "\n"
                + "translatorFactory=" + io.convzoo.zoo.djl.ConvZooTranslatorFactory.class.getName() + "\n"
                + "engine=PyTorch\n"
                + "application=" + ("segmentation".equals(ModelRegistry.get(info.modelId()).properties().get("task"))
                        ? "cv/semantic_segmentation" : "cv/image_classification") + "\n"
                + "option.modelName=" + info.modelId() + "\n"
                + ModelArgs.NUM_CLASSES + "=" + info.numClasses() + "\n"
                + ModelArgs.INPUT_CHANNELS + "=" + info.inputChannels() + "\n"
                + (temperature.isPresent() ? DyResNet.TEMPERATURE + "=" + (float) temperature.getAsDouble() + "\n" : "");
        Files.writeString(target.resolve("serving.properties"), props, StandardCharsets.UTF_8);
        return target;
    }

    /** {@code FineTuneOutput <finetune DIR> [<target DIR>]}: exports an existing run's zoo weights. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: FineTuneOutput <finetune output DIR> [<target DIR>, default DIR/weights]");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]);
        Path target = args.length > 1 ? Paths.get(args[1]) : dir.resolve("weights");
        System.out.println("zoo weights written to " + exportZooWeights(dir, target));
    }
}
