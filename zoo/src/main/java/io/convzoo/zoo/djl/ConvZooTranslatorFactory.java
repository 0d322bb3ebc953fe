package io.convzoo.zoo.djl;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import io.convzoo.zoo.Datasets;
import io.convzoo.zoo.ImagePreprocessing;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translators for zoo models: {@code Image -> Classifications} with the preprocessing of the
 * model's dataset ({@link ImagePreprocessing}, the one pipeline serving uses too) and softmax top-k;
 * and {@code NDList -> NDList} for raw tensors.
 * Arguments: {@code dataset}, {@code numClasses}, {@code topK} (default 5), {@code classNames}
 * (a List of names, else synset.txt beside the weights, else the dataset's names or class_N).
 */
public class ConvZooTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> SUPPORTED = Set.of(
            new Pair<>(Image.class, Classifications.class),
            new Pair<>(NDList.class, NDList.class));

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return SUPPORTED;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments) {
        if (input == NDList.class && output == NDList.class) {
            return (Translator<I, O>) new NoopTranslator();
        }
        if (input == Image.class && output == Classifications.class) {
            return (Translator<I, O>) imageClassifier(model, arguments);
        }
        throw new IllegalArgumentException("ConvZoo models translate Image -> Classifications or NDList -> NDList, not "
                + input.getSimpleName() + " -> " + output.getSimpleName());
    }

    private static Translator<Image, Classifications> imageClassifier(Model model, Map<String, ?> arguments) {
        Datasets data = Datasets.of(argument(arguments, "dataset", Datasets.IMAGENET));
        int numClasses = (int) Double.parseDouble(argument(arguments, "numClasses", "1000"));
        int topK = (int) Double.parseDouble(argument(arguments, "topK", "5"));
        return new ImageClassifier(new ImagePreprocessing(data), classNames(model, arguments, data, numClasses), topK);
    }

    /** The dataset's preprocessing ({@link ImagePreprocessing}), then softmax and the top-k classes. */
    private static final class ImageClassifier implements Translator<Image, Classifications> {
        private final ImagePreprocessing preprocessing;
        private final List<String> classNames;
        private final int topK;

        ImageClassifier(ImagePreprocessing preprocessing, List<String> classNames, int topK) {
            this.preprocessing = preprocessing;
            this.classNames = classNames;
            this.topK = topK;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, Image input) {
            Datasets data = preprocessing.data();
            return new NDList(ctx.getNDManager().create(preprocessing.toInput(input),
                    new Shape(data.channels(), data.cropSize(), data.cropSize())));
        }

        @Override
        public Classifications processOutput(TranslatorContext ctx, NDList list) {
            return new Classifications(classNames, list.singletonOrThrow().softmax(0), topK);
        }

        @Override
        public Batchifier getBatchifier() {
            return Batchifier.STACK;
        }
    }

    private static String argument(Map<String, ?> arguments, String key, String fallback) {
        Object v = arguments.get(key);
        return v == null ? fallback : v.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<String> classNames(Model model, Map<String, ?> arguments, Datasets data, int numClasses) {
        Object given = arguments.get("classNames");
        if (given instanceof List<?> list) {
            return (List<String>) list;
        }
        java.nio.file.Path synset = model.getModelPath() == null ? null : model.getModelPath().resolve("synset.txt");
        if (synset != null && java.nio.file.Files.isRegularFile(synset)) {
            try {
                List<String> names = java.nio.file.Files.readAllLines(synset).stream()
                        .map(String::strip).filter(s -> !s.isEmpty()).toList();
                if (names.size() == numClasses) {
                    return names;
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + synset, e);
            }
        }
        return data.classNamesFor(numClasses);
    }
}
