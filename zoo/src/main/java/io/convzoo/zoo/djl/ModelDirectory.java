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

    /** The input side length its preprocessing produces. */
    public int inputSize() {
        return Datasets.of(dataset).cropSize();
    }
}
