package io.convzoo.zoo.djl;

import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * What the serving.properties of a model directory (written by {@code convzoo import} or
 * {@code convzoo finetune}) says about the model it holds; DJL loads the directory itself with
 * {@code Criteria.optModelUrls}.
 *
 * @param dir the directory
 * @param spec the zoo model it is an instance of
 * @param numClasses classifier outputs of its weights
 * @param inputChannels input channels of its weights
 * @param dataset the preprocessing it was trained with (a {@link Datasets} name)
 */
public record ModelDirectory(Path dir, ModelSpec spec, int numClasses, int inputChannels, String dataset) {

    public static final String PROPERTIES = "serving.properties";

    /** True when {@code dir} holds a serving.properties. */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(PROPERTIES));
    }

    /** Reads {@code dir}'s serving.properties; a missing file or model id is named. */
    public static ModelDirectory read(Path dir) throws IOException {
        Path file = dir.resolve(PROPERTIES);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " is no model directory written by 'convzoo import' or "
                    + "'convzoo finetune' (no " + PROPERTIES + ")");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String id = p.getProperty(ConvZooBlockFactory.MODEL_ID);
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(file + " names no " + ConvZooBlockFactory.MODEL_ID);
        }
        ModelSpec spec = ModelRegistry.get(id.strip());
        int classes = Integer.parseInt(p.getProperty(ModelArgs.NUM_CLASSES,
                String.valueOf(spec.defaults().numClasses())).strip());
        int channels = Integer.parseInt(p.getProperty(ModelArgs.INPUT_CHANNELS,
                String.valueOf(spec.defaults().inputChannels())).strip());
        String dataset = p.getProperty("dataset", spec.properties().getOrDefault("dataset", Datasets.IMAGENET)).strip();
        return new ModelDirectory(dir, spec, classes, channels, dataset);
    }

    /**
     * Criteria that load a model directory with the zoo's translators. DJL reads serving.properties
     * only after it has chosen the translator factory, so the directory's {@code translatorFactory}
     * would be ignored and an image would get DJL's default (RGB ImageNet) preprocessing; the
     * directory's {@code dataset} still reaches the zoo's factory as an argument.
     */
    public static <I, O> ai.djl.repository.zoo.Criteria.Builder<I, O> criteria(Path dir, Class<I> in, Class<O> out) {
        return ai.djl.repository.zoo.Criteria.builder().setTypes(in, out)
                .optModelUrls(dir.toAbsolutePath().toUri().toString())
                .optTranslatorFactory(new ConvZooTranslatorFactory());
    }

    /**
     * Copies this model (its {@code <id>-NNNN.params}, serving.properties and synset.txt) to
     * {@code <root>/<id>/<slot>/}, where the zoo's pretrained lookup finds it: loaded by id with
     * {@code optArgument("dataset", slot)} (by default the slot is the model's preprocessing dataset,
     * so plain {@code pretrained=true} loads it). An existing install in that slot is replaced.
     *
     * @return the installed directory
     */
    public Path install(Path root, String slot) throws IOException {
        if (slot.isBlank() || slot.contains("/") || slot.contains("\\") || slot.startsWith(".")) {
            throw new IllegalArgumentException("--as must be a plain name (a folder under the model's id), got '"
                    + slot + "'");
        }
        List<Path> params = new java.util.ArrayList<>();
        try (var files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().matches(java.util.regex.Pattern.quote(spec.id())
                    + "-\\d{4}\\.params")).forEach(params::add);
        }
        if (params.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no " + spec.id() + "-0000.params (a finetune run that did "
                    + "not finish?)");
        }
        Path target = root.resolve(spec.id()).resolve(slot);
        Path staging = Files.createDirectories(root.resolve(spec.id())).resolve("." + slot + ".installing");
        deleteTree(staging);
        Files.createDirectories(staging);
        for (Path f : params) {
            Files.copy(f, staging.resolve(f.getFileName()));
        }
        for (String name : List.of(PROPERTIES, "synset.txt")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                Files.copy(dir.resolve(name), staging.resolve(name));
            }
        }
        deleteTree(target);
        Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The preprocessing recorded in {@code dir}'s serving.properties (its {@code dataset}), or null. */
    public static String preprocessingOf(Path dir) {
        try {
            return isModelDirectory(dir) ? read(dir).dataset() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The input side length its preprocessing produces. */
    public int inputSize() {
        return Datasets.of(dataset).cropSize();
    }
}
