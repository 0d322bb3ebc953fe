package io.convzoo.zoo.djl;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import java.nio.file.Path;
import java.util.Map;

/**
 * DJL {@link BlockFactory} for every zoo model. Reads the argument {@value #MODEL_ID} (the model
 * id) plus the common arguments of {@link ModelArgs} (numClasses, inputChannels, zeroInitLastBn)
 * and family arguments (e.g. alpha). Named in {@code serving.properties} of imported model
 * directories as {@code blockFactory=io.convzoo.zoo.djl.ConvZooBlockFactory}.
 */
public class ConvZooBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Argument naming the zoo model id. */
    public static final String MODEL_ID = "modelId";

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        Object id = arguments.get(MODEL_ID);
        if (id == null) {
            throw new IllegalArgumentException("ConvZooBlockFactory needs the argument '" + MODEL_ID
                    + "' (a zoo model id such as res2net50_26w_4s)");
        }
        ModelSpec spec = ModelRegistry.get(id.toString());
        return spec.build(argumentsFor(spec, arguments));
    }

    /** The spec's defaults overridden by the given arguments; DJL's own keys are ignored. */
    public static ModelArgs argumentsFor(ModelSpec spec, Map<String, ?> arguments) {
        Map<String, Object> own = new java.util.LinkedHashMap<>(arguments);
        for (String djlKey : new String[] {MODEL_ID, ConvZooModelLoader.PRETRAINED, ConvZooModelLoader.PREPARE,
                ConvZooModelLoader.SCRIPT, ConvZooTranslatorFactory.PREPROCESSING,
                "blockFactory", "translatorFactory", "application", "engine", "topK"}) {
            own.remove(djlKey);
        }
        return ModelArgs.fromMap(own, spec.defaults());
    }
}
