package io.convzoo.zoo;

import java.util.List;

/**
 * What a model's {@code dataset} property implies for inference: input channels and size, the
 * preprocessing (resize, center crop, mean/std) and the class names.
 *
 * @param name dataset property value
 * @param channels image channels the model expects
 * @param resize shorter-side resize before the crop (0: resize straight to {@code cropSize})
 * @param cropSize square center crop fed to the model
 * @param mean per-channel mean after scaling pixels to [0, 1]
 * @param std per-channel standard deviation
 * @param classNames class names, or empty when they come with the weights (synset.txt)
 */
public record Datasets(String name, int channels, int resize, int cropSize, float[] mean, float[] std,
                       List<String> classNames) {

    public static final String IMAGENET = "imagenet";
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String ADE20K = "ade20k";
    public static final String CIFAR10 = "cifar10";

    /** ImageNet: resize 256, center crop 224, the usual mean/std. */
    public static final Datasets IMAGENET_SPEC = new Datasets(IMAGENET, 3, 256, 224,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, List.of());

    /** Fashion-MNIST: 28×28 grayscale, its own mean/std, the ten class names of the dataset. */
    public static final Datasets FASHION_MNIST_SPEC = new Datasets(FASHION_MNIST, 1, 0, 28,
            new float[] {0.2860f}, new float[] {0.3530f},
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                    "Bag", "Ankle boot"));

    /**
     * ADE20K scene parsing (150 classes, ids from 0 as iduta/pyconvsegnet trains them): resized to
     * 473×473 (the official train and test crop; 8k + 1, as PyConvSegNet needs), ImageNet mean/std.
     */
    public static final Datasets ADE20K_SPEC = new Datasets(ADE20K, 3, 0, 473,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, classNames("ade20k_classes.txt"));

    private static List<String> classNames(String resource) {
        try (java.io.InputStream in = Datasets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " beside " + Datasets.class.getName());
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** CIFAR-10: 32×32 RGB, the training set's mean/std, the ten class names (HetConv's VGG-16). */
    public static final Datasets CIFAR10_SPEC = new Datasets(CIFAR10, 3, 0, 32,
            new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f},
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"));

    /** The spec of a dataset property value. */
    public static Datasets of(String dataset) {
        return switch (dataset) {
            case IMAGENET -> IMAGENET_SPEC;
            case FASHION_MNIST -> FASHION_MNIST_SPEC;
            case ADE20K -> ADE20K_SPEC;
            case CIFAR10 -> CIFAR10_SPEC;
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset
                    + "'; known: " + IMAGENET + ", " + FASHION_MNIST + ", " + ADE20K + ", " + CIFAR10);
        };
    }

    /** Class names for {@code numClasses} outputs: the dataset's own when they fit, else class_N. */
    public List<String> classNamesFor(int numClasses) {
        if (classNames.size() == numClasses) {
            return classNames;
        }
        return java.util.stream.IntStream.range(0, numClasses).mapToObj(i -> "class_" + i).toList();
    }
}
