package io.convzoo.zoo.checkpoint;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.XavierInitializer;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.djl.ConvZooBlockFactory;
import io.convzoo.zoo.djl.ConvZooTranslatorFactory;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Turns an official PyTorch checkpoint into a DJL model directory: {@code <id>-0000.params}
 * (saved by DJL) and a {@code serving.properties} naming {@link ConvZooBlockFactory},
 * {@link ConvZooTranslatorFactory}, the model id and its arguments. DJL loads the directory with
 * {@code Criteria.optModelUrls("file:///...")}; placed at {@code <root>/<id>/<dataset>/} it is
 * the pretrained artifact that {@code PretrainedWeights} finds.
 */
public final class CheckpointImporter {

    /** serving.properties name of the file the weights came from. */
    public static final String SOURCE = "checkpoint";

    private CheckpointImporter() {}

    /**
     * What an import did.
     *
     * @param directory the written DJL model directory
     * @param params the written {@code <id>-0000.params}
     * @param checkpoint the checkpoint as read (source file name, format)
     * @param result tensors loaded, and (non-strict) the missing and unexpected keys
     */
    public record Imported(Path directory, Path params, StateDict checkpoint, WeightLoader.Result result) {}

    /** Imports a checkpoint of a registered model with its default arguments. */
    public static Path importTo(String modelId, Path checkpoint, Path outDir) throws IOException {
        ModelSpec spec = ModelRegistry.get(modelId);
        return importTo(spec, spec.defaults(), checkpoint, outDir);
    }

    /**
     * Imports a checkpoint of a registered model built with {@code args} (e.g. another number of
     * classes for a fine-tuned checkpoint), strictly.
     */
    public static Path importTo(ModelSpec spec, ModelArgs args, Path checkpoint, Path outDir) throws IOException {
        return importModel(spec, args, checkpoint, outDir, true).params();
    }

    /**
     * Imports a checkpoint of a registered model built with {@code args}. Strict loading (as
     * PyTorch's {@code load_state_dict}) fails on any missing or unexpected key; non-strict loading
     * keeps the official initialization for parameters the checkpoint lacks and ignores keys the
     * model lacks. Shape mismatches always fail, and a failed import writes nothing.
     */
    public static Imported importModel(ModelSpec spec, ModelArgs args, Path checkpoint, Path outDir, boolean strict)
            throws IOException {
        StateDict sd = StateDicts.read(checkpoint);
        Block block = spec.build(args);
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(ConvZooBlockFactory.MODEL_ID, spec.id());
        properties.put("dataset", spec.properties().getOrDefault("dataset", "imagenet"));
        properties.put(ModelArgs.NUM_CLASSES, String.valueOf(args.numClasses()));
        properties.put(ModelArgs.INPUT_CHANNELS, String.valueOf(args.inputChannels()));
        for (Map.Entry<String, Object> e : args.extra().entrySet()) {
            properties.putIfAbsent(e.getKey(), String.valueOf(e.getValue()));
        }
        Shape input = new Shape(1, args.inputChannels(), spec.inputSize(), spec.inputSize());
        return write(block, spec.id(), sd, outDir, properties, input, KeyRenames.of(spec.family()), strict);
    }

    /**
     * Loads {@code sd} strictly into {@code block} (initialized here for {@code inputShape} when it
     * is not yet), then writes {@code <name>-0000.params} and {@code serving.properties} into
     * {@code outDir}. {@code properties} add to (or override) the defaults: blockFactory,
     * translatorFactory, engine, application and {@code option.modelName=<name>}.
     *
     * @return the written params file
     */
    public static Path importTo(Block block, String name, StateDict sd, Path outDir, Map<String, String> properties,
                                Shape inputShape, UnaryOperator<String> rename) throws IOException {
        return write(block, name, sd, outDir, properties, inputShape, rename, true).params();
    }

    private static Imported write(Block block, String name, StateDict sd, Path outDir, Map<String, String> properties,
                                  Shape inputShape, UnaryOperator<String> rename, boolean strict) throws IOException {
        WeightLoader.Result result;
        try (Model model = Model.newInstance(name)) {
            model.setBlock(block);
            if (!isInitialized(block)) {
                // What a non-strict import keeps for parameters the checkpoint lacks: the official
                // initialization (Kaiming normal, fan-out; BatchNorm 1/0).
                block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                        XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
                block.initialize(model.getNDManager(), DataType.FLOAT32, inputShape);
            }
            try {
                result = WeightLoader.load(block, sd, strict, rename);
            } catch (WeightMappingException e) {
                // Name the model, not its block class, in the report.
                throw new WeightMappingException(sd.source(), name, e.getMissing(), e.getUnexpected(),
                        e.getMismatched());
            }
            Files.createDirectories(outDir);
            model.save(outDir, name);
            Map<String, String> all = new TreeMap<>();
            all.put("blockFactory", ConvZooBlockFactory.class.getName());
            all.put("translatorFactory", ConvZooTranslatorFactory.class.getName());
            all.put("engine", "PyTorch");
            all.put("application", "cv/image_classification");
            all.put("option.modelName", name);
            all.put(SOURCE, sd.source() + " (" + sd.format() + ")");
            all.putAll(properties);
            writeProperties(outDir.resolve("serving.properties"), all);
        }
        Path params = outDir.resolve(name + "-0000.params");
        if (!Files.isRegularFile(params)) {
            throw new IOException("DJL did not write " + params);
        }
        return new Imported(outDir, params, sd, result);
    }

    private static boolean isInitialized(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    private static void writeProperties(Path file, Map<String, String> properties) throws IOException {
        // java.util.Properties would add a timestamp comment; a stable file diffs cleanly.
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("# Written by ConvZoo's CheckpointImporter\n");
            for (Map.Entry<String, String> e : properties.entrySet()) {
                w.write(escape(e.getKey()) + "=" + escape(e.getValue()) + "\n");
            }
        }
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\', '=', ':', '#', '!' -> sb.append('\\').append(c);
                case '\n' -> sb.append("\\n");
                default -> sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.toString();
    }
}
