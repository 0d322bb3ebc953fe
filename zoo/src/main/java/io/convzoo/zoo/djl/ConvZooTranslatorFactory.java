package io.convzoo.zoo.djl;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.transform.CenterCrop;
import ai.djl.modality.cv.transform.Normalize;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ResizeShort;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.modality.cv.translator.ImageClassificationTranslator;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.Transform;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import io.convzoo.zoo.Datasets;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translators for zoo models: {@code Image -> Classifications} with the preprocessing of the
 * model's dataset (ImageNet: resize shorter side 256, center crop 224, mean/std; Fashion-MNIST:
 * grayscale 28×28) and softmax top-k; and {@code NDList -> NDList} for raw tensors.
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
        ImageClassificationTranslator.Builder b = ImageClassificationTranslator.builder();
        // The builder checks its Resize against this size (224 unless set): 28×28 datasets need it.
        b.setImageSize(data.cropSize(), data.cropSize());
        if (data.channels() == 1) {
            b.optFlag(Image.Flag.GRAYSCALE);
        }
        if (data.resize() > 0) {
            b.addTransform(new ResizeShort(data.resize()));
            b.addTransform(new CenterCrop(data.cropSize(), data.cropSize()));
        } else {
            b.addTransform(new Resize(data.cropSize(), data.cropSize()));
        }
        b.addTransform(new ToTensor());
        // DJL's Normalize assumes 3 channels; grayscale datasets normalize their single channel here.
        b.addTransform(data.channels() == 3 ? new Normalize(data.mean(), data.std())
                : channelNormalize(data.mean(), data.std()));
        b.optSynset(classNames(model, arguments, data, numClasses));
        b.optApplySoftmax(true);
        b.optTopK(topK);
        return b.build();
    }

    /** (x - mean[c]) / std[c] per channel of a (C, H, W) or (N, C, H, W) tensor, for any C. */
    private static Transform channelNormalize(float[] mean, float[] std) {
        return array -> {
            int c = mean.length;
            Shape shape = array.getShape().dimension() == 3 ? new Shape(c, 1, 1) : new Shape(1, c, 1, 1);
            try (NDArray m = array.getManager().create(mean, shape);
                 NDArray s = array.getManager().create(std, shape)) {
                return array.sub(m).div(s);
            }
        };
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
