package io.convzoo.zoo.djl;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.CategoryMask;
import ai.djl.ndarray.NDArray;
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
import io.convzoo.zoo.arch.ClassifierNetwork;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translators for zoo models: {@code Image -> Classifications} with the preprocessing of the
 * model's dataset ({@link ImagePreprocessing}, the one pipeline serving uses too) and softmax top-k;
 * {@code Image -> float[]}: the pooled pre-logit embedding (the classifier is dropped from the model,
 * timm's {@code reset_classifier(0)}, so the forward stops at the global pool); and
 * {@code NDList -> NDList} for raw tensors (the logits, or the feature maps of {@code featuresOnly});
 * {@code Image -> CategoryMask} for segmentation models (PyConvSegNet): the per-pixel arg-max class
 * of the logits, at the original image's size (nearest neighbour from the model's input size).
 * Arguments: {@code dataset} (or {@code preprocessing}, which wins), {@code numClasses}, {@code topK} (default 5), {@code classNames}
 * (a List of names, else synset.txt beside the weights, else the dataset's names or class_N).
 */
public class ConvZooTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> SUPPORTED = Set.of(
            new Pair<>(Image.class, Classifications.class),
            new Pair<>(Image.class, float[].class),
            new Pair<>(Image.class, CategoryMask.class),
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
        if (input == Image.class && output == float[].class) {
            if (model.getBlock() instanceof ClassifierNetwork net) {
                if (net.isFeaturesOnly()) {
                    throw new IllegalArgumentException("a featuresOnly model returns feature maps; load it with "
                            + "NDList -> NDList, or without featuresOnly for Image -> float[] embeddings");
                }
                net.removeClassifier();
            }
            Datasets data = preprocessing(arguments);
            return (Translator<I, O>) new ImageEmbedder(new ImagePreprocessing(data));
        }
        if (input == Image.class && output == CategoryMask.class) {
            Datasets data = preprocessing(arguments);
            int numClasses = (int) Double.parseDouble(argument(arguments, "numClasses", "150"));
            return (Translator<I, O>) new ImageSegmenter(new ImagePreprocessing(data),
                    classNames(model, arguments, data, numClasses));
        }
        throw new IllegalArgumentException("ConvZoo models translate Image -> Classifications, Image -> float[] "
                + "(embedding), Image -> CategoryMask (segmentation) or NDList -> NDList, not "
                + input.getSimpleName() + " -> " + output.getSimpleName());
    }

    private static Translator<Image, Classifications> imageClassifier(Model model, Map<String, ?> arguments) {
        Datasets data = preprocessing(arguments);
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
            return imageInput(ctx, preprocessing, input);
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

    /** The dataset's preprocessing, then the model's output (the pooled features) as floats. */
    private static final class ImageEmbedder implements Translator<Image, float[]> {
        private final ImagePreprocessing preprocessing;

        ImageEmbedder(ImagePreprocessing preprocessing) {
            this.preprocessing = preprocessing;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, Image input) {
            return imageInput(ctx, preprocessing, input);
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return Batchifier.STACK;
        }
    }

    /** The dataset's preprocessing, then the arg-max class of each pixel, scaled to the image's size. */
    private static final class ImageSegmenter implements Translator<Image, CategoryMask> {
        private static final String SIZE = "imageSize";
        private final ImagePreprocessing preprocessing;
        private final List<String> classNames;

        ImageSegmenter(ImagePreprocessing preprocessing, List<String> classNames) {
            this.preprocessing = preprocessing;
            this.classNames = classNames;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, Image input) {
            ctx.setAttachment(SIZE, new int[] {input.getHeight(), input.getWidth()});
            return imageInput(ctx, preprocessing, input);
        }

        @Override
        public CategoryMask processOutput(TranslatorContext ctx, NDList list) {
            NDArray logits = list.singletonOrThrow();
            if (logits.getShape().dimension() != 3 || logits.getShape().get(0) != classNames.size()) {
                throw new IllegalArgumentException("Image -> CategoryMask needs a segmentation model's (classes="
                        + classNames.size() + ", H, W) logits per image, got " + logits.getShape());
            }
            int h = (int) logits.getShape().get(1);
            int w = (int) logits.getShape().get(2);
            int[] classes = logits.argMax(0).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
            int[] size = (int[]) ctx.getAttachment(SIZE);
            return new CategoryMask(classNames, SegmentationMasks.scaleNearest(classes, h, w, size[0], size[1]));
        }

        @Override
        public Batchifier getBatchifier() {
            return Batchifier.STACK;
        }
    }

    /** An image as the (C, H, W) input of the model's dataset. */
    private static NDList imageInput(TranslatorContext ctx, ImagePreprocessing preprocessing, Image input) {
        Datasets data = preprocessing.data();
        return new NDList(ctx.getNDManager().create(preprocessing.toInput(input),
                new Shape(data.channels(), data.cropSize(), data.cropSize())));
    }

    /** Argument naming the preprocessing (a {@link Datasets} name), when it is not the dataset argument's. */
    public static final String PREPROCESSING = "preprocessing";

    private static Datasets preprocessing(Map<String, ?> arguments) {
        return Datasets.of(argument(arguments, PREPROCESSING, argument(arguments, "dataset", Datasets.IMAGENET)));
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
