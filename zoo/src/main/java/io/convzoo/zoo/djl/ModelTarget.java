package io.convzoo.zoo.djl;

import ai.djl.repository.zoo.Criteria;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The {@code <id|DIR>} argument of everything that loads one model (the command line, Spark batch
 * inference): a model id through the zoo ({@code pretrained=true}, or untrained), or a directory
 * written by {@code convzoo import} (or {@code finetune}) through {@link ModelDirectory#criteria}.
 *
 * @param id the registered model id; for a directory, the id it records (null if none)
 * @param dir the model directory, or null for an id
 * @param inputChannels channels of the model's input
 * @param inputSize side of the model's usual square input
 */
public record ModelTarget(String id, Path dir, int inputChannels, int inputSize) {

    /** Criteria that load this model with input {@code in} and output {@code out}. */
    public <I, O> Criteria.Builder<I, O> criteria(Class<I> in, Class<O> out, boolean untrained) {
        if (dir != null) {
            return ModelDirectory.criteria(dir, in, out);
        }
        return Criteria.builder().setTypes(in, out).optGroupId(ConvZooModelZoo.GROUP_ID).optArtifactId(id)
                .optArgument(ConvZooModelLoader.PRETRAINED, !untrained);
    }

    /** The input shape the model takes, for messages. */
    public String expectedShape() {
        return "(N, " + inputChannels + ", H, W), e.g. (1, " + inputChannels + ", " + inputSize + ", " + inputSize + ")";
    }

    /** Resolves {@code model}; {@code untrained} is only valid with an id. */
    public static ModelTarget resolve(String model, boolean untrained) throws IOException {
        Path path = Paths.get(model);
        if (Files.isDirectory(path)) {
            if (untrained) {
                throw new IllegalArgumentException("--untrained is for model ids; " + model + " is a model directory");
            }
            ModelDirectory dir = ModelDirectory.read(path);
            return new ModelTarget(dir.spec().id(), path, dir.inputChannels(), dir.inputSize());
        }
        if (model.contains("/") || model.contains(java.io.File.separator)) {
            throw new IllegalArgumentException("no such model directory: " + model);
        }
        ModelSpec spec = ModelRegistry.get(model);
        return new ModelTarget(spec.id(), null, spec.defaults().inputChannels(), spec.inputSize());
    }
}
